"""template.yaml keeps the promises the code relies on."""

from __future__ import annotations

from typing import Any

import pytest

from kaltura_discord.local.tables import load_template

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    return dict(load_template()["Resources"])


def test_worker_is_never_retried_blindly_and_drops_stale_events(resources: dict[str, Any]) -> None:
    config = resources["WorkerAsyncConfig"]["Properties"]
    assert config["MaximumRetryAttempts"] == 0
    assert config["MaximumEventAgeInSeconds"] < 15 * 60


def test_table_has_string_keys_ttl_and_point_in_time_recovery(resources: dict[str, Any]) -> None:
    table = resources["Table"]["Properties"]
    assert {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]} == {"pk": "S", "sk": "S"}
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


def test_interactions_route_and_worker_wiring(resources: dict[str, Any]) -> None:
    interactions = resources["InteractionsFunction"]["Properties"]
    event = interactions["Events"]["Interactions"]["Properties"]
    assert (event["Path"], event["Method"]) == ("/interactions", "POST")
    assert interactions["Environment"]["Variables"]["WORKER_FUNCTION_NAME"] == "WorkerFunction"
    assert interactions["Timeout"] <= 3
    assert interactions["Handler"] == "app.handler"


def test_current_python_runtime(resources: dict[str, Any]) -> None:
    assert load_template()["Globals"]["Function"]["Runtime"] == "python3.13"
    assert resources["SharedLayer"]["Metadata"]["BuildMethod"] == "makefile"


# ---- operations: failure capture, alarms, logs, least privilege ------------------------------------------------

FUNCTIONS = ("InteractionsFunction", "WorkerFunction", "ApiFunction")
SECRET_ARN = "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${SecretsId}-??????"
TABLE_ACTIONS = {
    # what each function's code calls (the DynamoDB operations are listed in the template's comments)
    "InteractionsFunction": {"GetItem", "Query", "PutItem", "UpdateItem"},
    "WorkerFunction": {"GetItem", "Query", "PutItem", "UpdateItem", "DeleteItem", "DescribeTable"},
    "ApiFunction": {"GetItem", "Query", "PutItem", "UpdateItem", "DeleteItem"},
}


RUN_BY_OPERATORS = {"meetings/migrations.py"}
"""Modules no function runs: scripts/ run them with the operator's credentials (scripts/migrate_live_index.py)."""


def _statements(resources: dict[str, Any], function: str) -> list[dict[str, Any]]:
    policies = resources[function]["Properties"]["Policies"]
    assert all(isinstance(policy, dict) and set(policy) == {"Version", "Statement"} for policy in policies), (
        f"{function}: only inline statements, no managed policies or SAM policy templates (DynamoDBCrudPolicy...)"
    )
    return [statement for policy in policies for statement in policy["Statement"]]


def _actions(statement: dict[str, Any]) -> set[str]:
    action = statement["Action"]
    return set([action] if isinstance(action, str) else action)


def _granted(resources: dict[str, Any], function: str, resource: str) -> set[str]:
    return {
        action
        for statement in _statements(resources, function)
        if statement["Effect"] == "Allow" and statement["Resource"] == resource
        for action in _actions(statement)
    }


def _alarm(resources: dict[str, Any], logical_id: str) -> dict[str, Any]:
    alarm = resources[logical_id]
    assert alarm["Type"] == "AWS::CloudWatch::Alarm"
    properties: dict[str, Any] = alarm["Properties"]
    return properties


def test_a_failed_worker_event_lands_in_the_failure_queue(resources: dict[str, Any]) -> None:
    config = resources["WorkerAsyncConfig"]["Properties"]
    assert config["FunctionName"] == "WorkerFunction"
    assert config["DestinationConfig"]["OnFailure"]["Destination"] == "WorkerFailureQueue.Arn"
    queue = resources["WorkerFailureQueue"]
    assert queue["Type"] == "AWS::SQS::Queue"
    assert queue["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600
    assert queue["Properties"]["SqsManagedSseEnabled"] is True
    # the destination is written with the worker's own role
    assert _granted(resources, "WorkerFunction", "WorkerFailureQueue.Arn") == {"sqs:SendMessage"}


def test_worker_failures_raise_an_alarm_on_errors_and_on_the_job_metric(resources: dict[str, Any]) -> None:
    from kaltura_discord import metrics

    alarm = _alarm(resources, "WorkerErrorsAlarm")
    stats = {query["Id"]: query for query in alarm["Metrics"]}
    watched = {
        (q["MetricStat"]["Metric"]["Namespace"], q["MetricStat"]["Metric"]["MetricName"]): q["MetricStat"]
        for q in stats.values()
        if "MetricStat" in q
    }
    assert set(watched) == {("AWS/Lambda", "Errors"), (metrics.NAMESPACE, metrics.JOB_FAILURES)}
    for stat in watched.values():
        assert stat["Metric"]["Dimensions"] == [{"Name": "FunctionName", "Value": "WorkerFunction"}]
        assert stat["Stat"] == "Sum"
    (returned,) = [q for q in stats.values() if q.get("ReturnData", True)]
    assert all(metric_id in returned["Expression"] for metric_id in stats if metric_id != returned["Id"])
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanOrEqualToThreshold", 1)


@pytest.mark.parametrize(
    ("logical_id", "namespace", "metric", "dimension"),
    [
        ("WorkerAsyncEventsDroppedAlarm", "AWS/Lambda", "AsyncEventsDropped", ("FunctionName", "WorkerFunction")),
        ("WorkerFailureQueueAlarm", "AWS/SQS", "ApproximateNumberOfMessagesVisible",
         ("QueueName", "WorkerFailureQueue.QueueName")),
        ("Api5xxAlarm", "AWS/ApiGateway", "5xx", ("ApiId", "HttpApi")),
    ],
)  # fmt: skip
def test_alarms_on_dropped_events_the_failure_queue_and_api_5xx(
    resources: dict[str, Any], logical_id: str, namespace: str, metric: str, dimension: tuple[str, str]
) -> None:
    alarm = _alarm(resources, logical_id)
    assert (alarm["Namespace"], alarm["MetricName"]) == (namespace, metric)
    assert alarm["Dimensions"] == [{"Name": dimension[0], "Value": dimension[1]}]
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanOrEqualToThreshold", 1)


def test_an_alarm_before_interactions_reach_discords_3_seconds(resources: dict[str, Any]) -> None:
    alarm = _alarm(resources, "InteractionsDurationAlarm")
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/Lambda", "Duration")
    assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": "InteractionsFunction"}]
    assert alarm.get("ExtendedStatistic") == "p99" or alarm.get("Statistic") == "Maximum"
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert 2000 <= alarm["Threshold"] <= 2500 < resources["InteractionsFunction"]["Properties"]["Timeout"] * 1000


def test_every_alarm_notifies_the_topic_or_the_given_one(resources: dict[str, Any]) -> None:
    template = load_template()
    alarms = {name: r for name, r in resources.items() if r["Type"] == "AWS::CloudWatch::Alarm"}
    assert len(alarms) >= 5
    target = [["UseExistingAlarmTopic", "AlarmTopicArn", "AlarmTopic"]]
    for name, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == target, name
        assert alarm["Properties"]["TreatMissingData"] == "notBreaching", name
    assert resources["AlarmTopic"]["Condition"] == "CreateAlarmTopic"
    subscription = resources["AlarmEmailSubscription"]
    assert (subscription["Condition"], subscription["Properties"]["Protocol"]) == ("HasAlarmEmail", "email")
    parameters = template["Parameters"]
    assert parameters["AlarmEmail"]["Default"] == parameters["AlarmTopicArn"]["Default"] == ""


def test_one_log_group_per_function_with_the_retention_parameter(resources: dict[str, Any]) -> None:
    template = load_template()
    assert template["Parameters"]["LogRetentionDays"]["Type"] == "Number"
    groups = set()
    for function in FUNCTIONS:
        logging_config = resources[function]["Properties"]["LoggingConfig"]
        group = logging_config["LogGroup"]
        assert resources[group]["Type"] == "AWS::Logs::LogGroup", function
        assert resources[group]["Properties"]["RetentionInDays"] == "LogRetentionDays"
        assert resources[group].get("DeletionPolicy", "Delete") == "Delete"  # `sam delete` removes them
        groups.add(group)
    assert len(groups) == len(FUNCTIONS)
    access = resources["HttpApi"]["Properties"]["AccessLogSettings"]
    group = access["DestinationArn"].removesuffix(".Arn")
    assert resources[group]["Properties"]["RetentionInDays"] == "LogRetentionDays"
    assert "$context.requestId" in access["Format"] and "$context.integration.requestId" in access["Format"]
    assert "$context.path" not in access["Format"]  # a join link's path is a single-use token


def test_dynamodb_actions_are_only_those_each_function_calls(resources: dict[str, Any]) -> None:
    for function, expected in TABLE_ACTIONS.items():
        assert _granted(resources, function, "Table.Arn") == {f"dynamodb:{action}" for action in expected}, function
        assert _granted(resources, function, "${Table.Arn}/index/*") == {"dynamodb:Query"}, function
        every = set().union(*(_actions(s) for s in _statements(resources, function)))
        assert not any(action.endswith("*") for action in every), function
        assert not {"dynamodb:Scan", "dynamodb:BatchWriteItem", "dynamodb:BatchGetItem"} & every, function


def test_every_dynamodb_operation_in_the_code_is_granted_to_some_function(resources: dict[str, Any]) -> None:
    """A new call (a scan, a batch write) fails here until the template grants it to the function that makes it."""
    import re
    from pathlib import Path

    package = Path(__file__).resolve().parents[2] / "layers" / "kaltura_discord"
    operations = {
        "get_item": {"GetItem"}, "put_item": {"PutItem"}, "update_item": {"UpdateItem"},
        "delete_item": {"DeleteItem"}, "query": {"Query"}, "scan": {"Scan"}, "batch_get_item": {"BatchGetItem"},
        "batch_write_item": {"BatchWriteItem"}, "describe_table": {"DescribeTable"}, "transact_get_items": {"GetItem"},
    }  # fmt: skip
    in_transactions = {
        "Put": "PutItem",
        "Update": "UpdateItem",
        "Delete": "DeleteItem",
        "ConditionCheck": "ConditionCheckItem",
    }
    needed: set[str] = set()
    for source in package.rglob("*.py"):
        relative = source.relative_to(package)
        if "local" in relative.parts or relative.as_posix() in RUN_BY_OPERATORS:
            continue
        text = source.read_text(encoding="utf-8")
        for operation in re.findall(r"\.(\w+)\(", text):
            needed |= operations.get(operation, set())
        if "transact_write_items(" in text:
            needed |= {action for key, action in in_transactions.items() if re.search(rf'\{{"{key}":', text)}
    granted = {
        action.removeprefix("dynamodb:")
        for function in FUNCTIONS
        for action in _granted(resources, function, "Table.Arn")
    }
    assert needed, "found no DynamoDB calls: the scan above is broken"
    assert needed <= granted, f"called but granted to no function: {sorted(needed - granted)}"


def test_the_secret_is_matched_exactly_and_only_the_interactions_function_invokes(resources: dict[str, Any]) -> None:
    for function in FUNCTIONS:
        secret = [
            s for s in _statements(resources, function) if any(a.startswith("secretsmanager:") for a in _actions(s))
        ]
        assert [(s["Resource"], _actions(s)) for s in secret] == [(SECRET_ARN, {"secretsmanager:GetSecretValue"})]
        invokes = [s for s in _statements(resources, function) if any(a.startswith("lambda:") for a in _actions(s))]
        if function == "InteractionsFunction":
            assert [(s["Resource"], _actions(s)) for s in invokes] == [
                ("WorkerFunction.Arn", {"lambda:InvokeFunction"})
            ]
        else:
            assert invokes == [], function


def test_reserved_concurrency_is_a_parameter_that_may_stay_unset(resources: dict[str, Any]) -> None:
    template = load_template()
    for function, parameter, condition in (
        ("WorkerFunction", "WorkerReservedConcurrency", "ReserveWorkerConcurrency"),
        ("ApiFunction", "ApiReservedConcurrency", "ReserveApiConcurrency"),
    ):
        assert template["Parameters"][parameter]["Default"] == ""
        assert resources[function]["Properties"]["ReservedConcurrentExecutions"] == [
            condition,
            parameter,
            "AWS::NoValue",
        ]
        assert template["Conditions"][condition] == [[parameter, ""]]  # !Not [!Equals [!Ref P, ""]]
    assert "ReservedConcurrentExecutions" not in resources["InteractionsFunction"]["Properties"]


def test_v1_is_throttled_tighter_than_interactions(resources: dict[str, Any]) -> None:
    parameters = load_template()["Parameters"]
    routes = resources["HttpApi"]["Properties"]["RouteSettings"]
    interactions, v1 = routes["POST /interactions"], routes["ANY /v1/{proxy+}"]
    assert parameters[v1["ThrottlingRateLimit"]]["Default"] < interactions["ThrottlingRateLimit"]
    assert parameters[v1["ThrottlingBurstLimit"]]["Default"] < interactions["ThrottlingBurstLimit"]
    # the route keys are the ones the functions' events create
    events = [
        (e["Properties"]["Method"], e["Properties"]["Path"])
        for f in ("InteractionsFunction", "ApiFunction")
        for e in resources[f]["Properties"]["Events"].values()
    ]
    assert {f"{method} {path}" for method, path in events} == set(routes)


def test_tracing_is_optional(resources: dict[str, Any]) -> None:
    template = load_template()
    assert template["Globals"]["Function"]["Tracing"] == "Tracing"
    assert template["Parameters"]["Tracing"]["Default"] == "Disabled"
    assert set(template["Parameters"]["Tracing"]["AllowedValues"]) == {"Disabled", "Active"}


def test_sam_build_hashes_and_copies_only_the_layer_folder(resources: dict[str, Any]) -> None:
    """ContentUri `.` made `sam build` copy (and hash, for its cache) the whole repository, .venv included."""
    layer = resources["SharedLayer"]
    assert layer["Properties"]["ContentUri"] == "layers/"
    assert "BuildInSource" not in layer["Metadata"]  # ignored by the SAM CLI
    assert (layer["Metadata"]["ContextPath"], layer["Metadata"]["WorkingDirectory"]) == (".", ".")
    assert layer["Metadata"]["BuildArchitecture"] == load_template()["Globals"]["Function"]["Architectures"][0]


def test_samconfig_builds_cached_parallel_without_docker_and_deploys_with_the_capabilities() -> None:
    import tomllib
    from pathlib import Path

    config = tomllib.loads((Path(__file__).resolve().parents[2] / "samconfig.toml").read_text(encoding="utf-8"))
    build = config["default"]["build"]["parameters"]
    assert (build["cached"], build["parallel"], build["use_container"]) == (True, True, False)
    assert config["default"]["validate"]["parameters"]["lint"] is True
    capabilities = config["default"]["deploy"]["parameters"]["capabilities"].split()
    assert set(capabilities) == {"CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"}


# ---- scheduled work: EventBridge Scheduler ----------------------------------------------------------------------

SCHEDULES_ARN = "arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/${ScheduleGroup}/*"


def test_scheduler_assumes_a_role_that_may_only_invoke_the_worker(resources: dict[str, Any]) -> None:
    assert resources["ScheduleGroup"]["Type"] == "AWS::Scheduler::ScheduleGroup"
    role = resources["SchedulerRole"]["Properties"]
    [trust] = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"} and trust["Action"] == "sts:AssumeRole"
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": "AWS::AccountId"}}  # no confused deputy
    assert "Policies" not in role and "ManagedPolicyArns" not in role
    policy = resources["SchedulerInvokePolicy"]["Properties"]
    assert policy["RoleName"] == "SchedulerRole"
    [invoke] = policy["PolicyDocument"]["Statement"]
    assert (invoke["Action"], invoke["Resource"]) == ("lambda:InvokeFunction", "WorkerFunction.Arn")


def test_only_the_worker_and_the_api_set_schedules_in_the_group_and_pass_only_that_role(
    resources: dict[str, Any],
) -> None:
    for function in FUNCTIONS:
        statements = _statements(resources, function)
        schedules = [s for s in statements if any(a.startswith("scheduler:") for a in _actions(s))]
        passes = [s for s in statements if "iam:PassRole" in _actions(s)]
        if function == "InteractionsFunction":
            assert schedules == [] and passes == []
            continue
        assert [(s["Resource"], _actions(s)) for s in schedules] == [
            (SCHEDULES_ARN, {"scheduler:CreateSchedule", "scheduler:DeleteSchedule"})
        ]
        [passing] = passes
        assert passing["Resource"] == "SchedulerRole.Arn"
        assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}}
        variables = resources[function]["Properties"]["Environment"]["Variables"]
        assert variables["SCHEDULE_GROUP"] == "ScheduleGroup" and variables["SCHEDULER_ROLE_ARN"] == "SchedulerRole.Arn"
    api = resources["ApiFunction"]["Properties"]["Environment"]["Variables"]
    assert api["WORKER_FUNCTION_ARN"] == "WorkerFunction.Arn"
    assert "WORKER_FUNCTION_ARN" not in resources["WorkerFunction"]["Properties"]["Environment"]["Variables"]
