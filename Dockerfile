# segmaker as a SageMaker bring-your-own container (and a self-contained image of the CLI):
#   docker build -t segmaker .
#   docker run -v $PWD/opt-ml:/opt/ml segmaker train
#   docker run -p 8080:8080 -v $PWD/opt-ml:/opt/ml segmaker serve
# Push it to ECR and give its URI as TrainingImage / PrimaryContainer.Image to run the same build on
# SageMaker itself; `segmaker api` accepts images named segmaker[:tag] too.
FROM debian:12

ENV DEBIAN_FRONTEND=noninteractive
WORKDIR /src
# The dependencies first, so that a source change does not reinstall them.
COPY scripts/install-deps scripts/install-deps
RUN scripts/install-deps && rm -rf /var/lib/apt/lists/*

COPY . .
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DSEGMAKER_BUILD_TESTS=OFF -DSEGMAKER_BUILD_BENCH=OFF \
 && cmake --build build --target segmaker \
 && install -m 755 build/segmaker /usr/local/bin/segmaker \
 && install -m 755 docker/entrypoint.sh /usr/local/bin/segmaker-entrypoint \
 && rm -rf build

WORKDIR /opt/ml
ENV SAGEMAKER_BIND_TO_PORT=8080
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/segmaker-entrypoint"]
