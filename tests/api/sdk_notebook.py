"""The seed notebook's cells with the real SageMaker Python SDK v2, as written: nothing but the
environment points it at segmaker (AWS_ENDPOINT_URL = `segmaker api`, AWS_ENDPOINT_URL_S3 = an S3
server, SAGEMAKER_USER_CONFIG_OVERRIDE = the SDK config file with the default bucket and telemetry off),
and the role is an ARN, as for any notebook outside SageMaker.

    python3 sdk_notebook.py DATA_DIR PHOTO OUT_DIR

DATA_DIR holds the four channels (segmaker prepare); PHOTO is a JPEG to predict. Every connection
that is not to loopback fails the run (the SDK reaches for the cloud when something is misconfigured).
Prints "NOTEBOOK OK" at the end; a failed cell raises.
"""
import os
import socket
import sys

# --- the guard: loopback only -------------------------------------------------------------------
_connect = socket.socket.connect


def _loopback_only(self, address):
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and self.family in (socket.AF_INET, socket.AF_INET6):
        if not (host.startswith("127.") or host in ("::1", "localhost")):
            print("NON-LOOPBACK CONNECTION to %r" % (address,), file=sys.stderr, flush=True)
            os._exit(3)
    return _connect(self, address)


socket.socket.connect = _loopback_only

data_dir, photo, out_dir = sys.argv[1], sys.argv[2], sys.argv[3]

# --- the notebook --------------------------------------------------------------------------------
import sagemaker  # noqa: E402
from sagemaker import image_uris  # noqa: E402
from sagemaker.deserializers import BytesDeserializer  # noqa: E402
from sagemaker.inputs import TrainingInput  # noqa: E402
from sagemaker.serializers import IdentitySerializer  # noqa: E402

sess = sagemaker.Session()
bucket = sess.default_bucket()
prefix = "semantic-segmentation-demo"
role = "arn:aws:iam::000000000000:role/service-role/AmazonSageMaker-ExecutionRole"
training_image = image_uris.retrieve("semantic-segmentation", sess.boto_region_name)
print("bucket", bucket, "image", training_image, flush=True)

channels = {}
for channel in ("train", "validation", "train_annotation", "validation_annotation"):
    channels[channel] = sess.upload_data(os.path.join(data_dir, channel), bucket=bucket,
                                         key_prefix=prefix + "/" + channel)

ss_model = sagemaker.estimator.Estimator(
    training_image, role, instance_count=1, instance_type="ml.c5.xlarge", volume_size=50,
    max_run=3600, output_path="s3://{}/{}/output".format(bucket, prefix), sagemaker_session=sess)
ss_model.set_hyperparameters(
    backbone="resnet-18", algorithm="fcn", use_pretrained_model="False", crop_size=64, base_size=80,
    num_classes=3, epochs=2, learning_rate=0.001, optimizer="rmsprop", lr_scheduler="poly",
    mini_batch_size=3, validation_mini_batch_size=3, early_stopping=False, num_training_samples=9,
    output_stride=16, data_workers=1)

distribution = "FullyReplicated"
data_channels = {
    name: TrainingInput(uri, distribution=distribution,
                        content_type="image/png" if "annotation" in name else "image/jpeg",
                        s3_data_type="S3Prefix")
    for name, uri in channels.items()
}
ss_model.fit(data_channels)  # logs=True, wait=True: the SDK follows the job's CloudWatch log

job_name = ss_model.latest_training_job.name
frame = ss_model.training_job_analytics.dataframe()
print("ANALYTICS", job_name, frame.to_json(orient="records"), flush=True)
assert set(frame["metric_name"]) >= {"validation:mIOU", "train:loss"}, frame

ss_predictor = ss_model.deploy(initial_instance_count=1, instance_type="ml.c5.xlarge",
                               serializer=IdentitySerializer("image/jpeg"),
                               deserializer=BytesDeserializer(accept="image/png"))
with open(photo, "rb") as f:
    mask_png = ss_predictor.predict(f.read())
assert mask_png[:8] == b"\x89PNG\r\n\x1a\n", mask_png[:16]
with open(os.path.join(out_dir, "mask.png"), "wb") as f:
    f.write(mask_png)
print("PREDICTED", len(mask_png), "bytes", flush=True)

transformer = ss_model.transformer(instance_count=1, instance_type="ml.c5.xlarge",
                                   output_path="s3://{}/{}/transform".format(bucket, prefix))
transformer.transform(channels["validation"], content_type="image/jpeg")  # wait=True, logs=True
print("TRANSFORMED", transformer.latest_transform_job.name, flush=True)

ss_predictor.delete_endpoint()
print("NOTEBOOK OK", flush=True)
