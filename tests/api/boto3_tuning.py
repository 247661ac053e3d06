"""boto3 reads a tuning job as a script would: describe it, then page through its trials sorted by the
objective, one per page (NextToken). Prints one JSON object: {"describe": …, "trials": [...], "pages": N}.

    python3 boto3_tuning.py ENDPOINT_URL TUNING_JOB_NAME
"""
import json
import sys

import boto3

client = boto3.client("sagemaker", endpoint_url=sys.argv[1])
name = sys.argv[2]
describe = client.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
trials, pages, token = [], 0, None
while True:
    kwargs = {"HyperParameterTuningJobName": name, "SortBy": "FinalObjectiveMetricValue", "SortOrder": "Descending",
              "MaxResults": 1}
    if token:
        kwargs["NextToken"] = token
    page = client.list_training_jobs_for_hyper_parameter_tuning_job(**kwargs)
    pages += 1
    trials += page["TrainingJobSummaries"]
    token = page.get("NextToken")
    if not token:
        break
print(json.dumps({"describe": describe, "trials": trials, "pages": pages}, default=str))
