#!/bin/sh
# The container's entrypoint, as SageMaker invokes a bring-your-own container:
#   docker run IMAGE train   → train from /opt/ml/input (hyperparameters.json, inputdataconfig.json,
#                              resourceconfig.json, data/<channel>); model to /opt/ml/model,
#                              failure reason to /opt/ml/output/failure, checkpoints in /opt/ml/checkpoints
#   docker run IMAGE serve   → serve /opt/ml/model on 0.0.0.0:${SAGEMAKER_BIND_TO_PORT:-8080} (/ping, /invocations)
# Anything else runs segmaker with those arguments (docker run IMAGE predict --model ...).
# SEGMAKER and SM_ROOT override the executable and the /opt/ml root (the tests run it outside a container).
set -eu
segmaker=${SEGMAKER:-/usr/local/bin/segmaker}
root=${SM_ROOT:-/opt/ml}
case "${1:-}" in
  train)
    shift
    exec "$segmaker" train --sagemaker --sm-root "$root" --no-progress "$@"
    ;;
  serve)
    shift
    exec "$segmaker" serve --sagemaker --sm-root "$root" "$@"
    ;;
  "")
    echo "usage: IMAGE train | IMAGE serve | IMAGE <segmaker subcommand> ..." >&2
    exit 2
    ;;
  *)
    exec "$segmaker" "$@"
    ;;
esac
