"""aws-sg: the export plan as CloudFormation JSON.

Input: a ``Plan`` and the build's source.  Output: a ``Rendered`` template of one
``AWS::EC2::SecurityGroupIngress`` per source network, a security-group parameter per
destination component; refused, saying by how much, over CloudFormation's 500 resources.
"""

from __future__ import annotations

import json

from pipeline.export.formats import (
    ExportLimit,
    Options,
    Rendered,
    aws_text,
    cloud_limits,
    header,
    logical_id,
)
from pipeline.export.plan import Plan

AWS_MAX_RESOURCES = 500  # resources per CloudFormation template (AWS quota)


def render_aws_sg(p: Plan, source: dict, options: Options = Options()) -> Rendered:
    """CloudFormation JSON: security-group ingress rules per destination component."""
    params, resources = {}, {}
    for rule in p.rules:
        group = logical_id("Sg", rule.destination_id or rule.destination)
        params[group] = {
            "Type": "AWS::EC2::SecurityGroup::Id",
            "Description": aws_text(
                f"Security group of the component {rule.destination_id or rule.destination}", 250
            ),
        }
        for _, sources, _ in rule.families:
            for net in sources:
                icmp = rule.protocol == "icmp"
                props = {
                    "GroupId": {"Ref": group},
                    "IpProtocol": ("icmpv6" if net.version == 6 else "icmp")
                    if icmp
                    else rule.protocol,
                    "FromPort": -1 if icmp else rule.port_start,
                    "ToPort": -1 if icmp else rule.port_end,
                    "Description": aws_text(
                        rule.comment(), cloud_limits()["aws"]["description_length"]
                    ),
                }
                if icmp and net.version == 6:  # ports mean nothing to ICMPv6 rules in AWS
                    del props["FromPort"], props["ToPort"]
                props["CidrIp" if net.version == 4 else "CidrIpv6"] = str(net)
                key = f"{'|'.join(rule.rule_ids)}|{rule.protocol}|{rule.ports}|{rule.reverse}|{net}|{group}"
                resources[logical_id("Ingress", key)] = {
                    "Type": "AWS::EC2::SecurityGroupIngress",
                    "Properties": props,
                }
    if len(resources) > AWS_MAX_RESOURCES:
        raise ExportLimit(
            f"the CloudFormation template would hold {len(resources)} ingress rules, "
            f"{len(resources) - AWS_MAX_RESOURCES} over CloudFormation's limit of "
            f"{AWS_MAX_RESOURCES} resources per template",
            hint="export fewer components at a time (a smaller address map, or --data with "
            "the rows of some sections), or give sources as wider CIDRs",
        )
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": aws_text(header("", source), 1024),
        "Parameters": dict(sorted(params.items())),
        "Resources": dict(sorted(resources.items())),
    }
    return Rendered(json.dumps(template, ensure_ascii=False, indent=2) + "\n", len(resources))
