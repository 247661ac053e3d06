"""The seed notebook, cell by cell, with the real SageMaker Python SDK v2 against `segmaker api`.

Nothing in the cells names segmaker: the environment points the SDK at it, as the README shows
(AWS_ENDPOINT_URL = `segmaker api`, AWS_ENDPOINT_URL_S3 = an S3 server, SAGEMAKER_USER_CONFIG_OVERRIDE =
the config file `segmaker api sdk-config` writes: default bucket, telemetry off), and the role is an ARN,
as for any notebook outside SageMaker.

    python3 scripts/notebook.py DATA_DIR PHOTO OUT_DIR [--hyperparameters FILE] [--transform-images N]

DATA_DIR holds the four channels (segmaker prepare); PHOTO is a JPEG to predict (its mask.png and
overlay.jpg go to OUT_DIR); --hyperparameters is a JSON object of the Estimator's hyperparameters
(num_training_samples is taken from the data); the batch transform runs over the first N validation
images (all by default). scripts/run-demo runs it; tests/api/test_sdk_notebook.cpp too.
Every connection that is not to loopback ends the run (the SDK reaches for the cloud when something
is misconfigured). Prints "NOTEBOOK OK" at the end; a failed cell raises.
"""
import argparse
import os

from notebook_common import cell_printer, estimator_hyperparameters  # first: the loopback guard

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("data_dir")
parser.add_argument("photo")
parser.add_argument("out_dir")
parser.add_argument("--hyperparameters", help="JSON file of the Estimator's hyperparameters")
parser.add_argument("--transform-images", type=int, default=0, help="validation images to transform (0: all)")
args = parser.parse_args()
hyperparameters = estimator_hyperparameters(
    {"backbone": "resnet-50", "algorithm": "fcn", "use_pretrained_model": "True", "num_classes": 3,
     "epochs": 2, "mini_batch_size": 8, "crop_size": 240, "base_size": 240},
    args.hyperparameters, args.data_dir)
cell = cell_printer("notebook")


# --- the notebook --------------------------------------------------------------------------------
import sagemaker  # noqa: E402
from sagemaker import image_uris  # noqa: E402
from sagemaker.deserializers import BytesDeserializer, RecordDeserializer  # noqa: E402
from sagemaker.inputs import TrainingInput  # noqa: E402
from sagemaker.serializers import IdentitySerializer  # noqa: E402

cell("Session, bucket, role, the algorithm's image")
sess = sagemaker.Session()
bucket = sess.default_bucket()
prefix = "semantic-segmentation-demo"
role = "arn:aws:iam::000000000000:role/service-role/AmazonSageMaker-ExecutionRole"
training_image = image_uris.retrieve("semantic-segmentation", sess.boto_region_name)
print("bucket", bucket, "image", training_image, flush=True)

cell("upload the channels")
channels = {}
for channel in ("train", "validation", "train_annotation", "validation_annotation"):
    channels[channel] = sess.upload_data(os.path.join(args.data_dir, channel), bucket=bucket,
                                         key_prefix=prefix + "/" + channel)
    print(channel, "→", channels[channel], flush=True)

cell("Estimator.fit: the job's log, live")
ss_model = sagemaker.estimator.Estimator(
    training_image, role, instance_count=1, instance_type="ml.c5.xlarge", volume_size=50,
    max_run=3600, output_path="s3://{}/{}/output".format(bucket, prefix), sagemaker_session=sess)
ss_model.set_hyperparameters(**hyperparameters)

distribution = "FullyReplicated"
data_channels = {
    name: TrainingInput(uri, distribution=distribution,
                        content_type="image/png" if "annotation" in name else "image/jpeg",
                        s3_data_type="S3Prefix")
    for name, uri in channels.items()
}
ss_model.fit(data_channels)  # logs=True, wait=True: the SDK follows the job's CloudWatch log

print("MODEL", ss_model.model_data, flush=True)
with open(os.path.join(args.out_dir, "model_data.txt"), "w") as f:
    f.write(ss_model.model_data + "\n")

cell("training_job_analytics: the epochs' metrics from CloudWatch")
job_name = ss_model.latest_training_job.name
frame = ss_model.training_job_analytics.dataframe()
print(frame.to_string(), flush=True)
print("ANALYTICS", job_name, frame.to_json(orient="records"), flush=True)
assert set(frame["metric_name"]) >= {"validation:mIOU", "train:loss"}, frame

cell("deploy and predict")
ss_predictor = ss_model.deploy(initial_instance_count=1, instance_type="ml.c5.xlarge",
                               serializer=IdentitySerializer("image/jpeg"),
                               deserializer=BytesDeserializer(accept="image/png"))
with open(args.photo, "rb") as f:
    photo_bytes = f.read()
mask_png = ss_predictor.predict(photo_bytes)
assert mask_png[:8] == b"\x89PNG\r\n\x1a\n", mask_png[:16]
with open(os.path.join(args.out_dir, "mask.png"), "wb") as f:
    f.write(mask_png)
print("PREDICTED", len(mask_png), "bytes", flush=True)

try:  # the notebook's picture: the mask over the photo (Debian's python3-pil)
    import io as _io
    from PIL import Image
    photo_image = Image.open(_io.BytesIO(photo_bytes)).convert("RGB")
    mask = Image.open(_io.BytesIO(mask_png))
    colours = mask.convert("P")
    colours.putpalette([0, 0, 0, 255, 140, 0, 30, 144, 255] + [200, 200, 200] * 253)
    Image.blend(photo_image, colours.convert("RGB"), 0.45).save(os.path.join(args.out_dir, "overlay.jpg"))
    print("overlay:", os.path.join(args.out_dir, "overlay.jpg"), flush=True)
except ImportError:
    print("(no python3-pil: mask.png only)", flush=True)

# The notebook's second form: class probabilities as RecordIO-protobuf, read with the SDK's own Record.
ss_predictor.deserializer = RecordDeserializer()
records = ss_predictor.predict(photo_bytes)
shape = list(records[0].features["shape"].int32_tensor.values)
probabilities = records[0].features["target"].float32_tensor.values
assert shape[:2] == [1, int(hyperparameters["num_classes"])], shape
assert len(probabilities) == shape[1] * shape[2] * shape[3], (len(probabilities), shape)
print("PROTOBUF", shape, flush=True)

cell("batch transform")
transform_input = channels["validation"]
if args.transform_images > 0:
    names = sorted(n for n in os.listdir(os.path.join(args.data_dir, "validation")) if n.endswith(".jpg"))
    transform_input = "s3://{}/{}/batch-input".format(bucket, prefix)
    for name in names[:args.transform_images]:
        sess.upload_data(os.path.join(args.data_dir, "validation", name), bucket=bucket,
                         key_prefix=prefix + "/batch-input")
transformer = ss_model.transformer(instance_count=1, instance_type="ml.c5.xlarge",
                                   output_path="s3://{}/{}/transform".format(bucket, prefix))
transformer.transform(transform_input, content_type="image/jpeg")  # wait=True, logs=True
print("TRANSFORMED", transformer.latest_transform_job.name, "→", transformer.output_path, flush=True)

cell("clean up")
ss_predictor.delete_endpoint()
print("NOTEBOOK OK", flush=True)
