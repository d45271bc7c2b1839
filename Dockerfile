# auditor in a container: `docker build -t auditor https://github.com/OWNER/auditor.git#v0.3.0` (or `.`
# in a checkout) then, for example,
#   docker run --rm --user "$(id -u):$(id -g)" -v "$PWD:/work" auditor audit snapshot.json --out reports
#   docker run --rm --user "$(id -u):$(id -g)" -e AZURE_TENANT_ID -e AZURE_CLIENT_ID \
#     -e AZURE_FEDERATED_TOKEN_FILE=/work/token -v "$PWD:/work" \
#     auditor run --auth workload-identity --snapshot snapshot.json.gz --out reports
# Secrets come from the environment (-e NAME), never from a flag or the image.
#
# Run it as yourself (--user "$(id -u):$(id -g)"): the default user (uid 10001) cannot write into a
# mounted folder that you own. Any uid works, since HOME and the cache live under /tmp.
#
# Supply chain: the base image is pinned by digest (the multi-platform index of python:3.12-slim; the
# tag is kept for readers, Docker uses the digest), and every Python package is installed from
# requirements.lock with --require-hashes. To move to a newer base image:
#   docker buildx imagetools inspect python:3.12-slim   (the "Digest:" line)
FROM python:3.12-slim@sha256:78387bc3881b8273120a12ebe6c1ab22b018ccc2c9adf565ae1ac9b536e184ea

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HOME=/tmp XDG_CACHE_HOME=/tmp/.cache

COPY requirements.lock pyproject.toml README.md /src/
RUN python -m pip install --require-hashes --no-deps -r /src/requirements.lock
COPY auditor /src/auditor
COPY policies /src/policies
COPY baselines /src/baselines
RUN python -m pip install --no-deps --no-build-isolation --no-index /src && python -m pip check \
    && rm -rf /src && useradd --create-home --uid 10001 auditor

USER auditor
WORKDIR /work
ENTRYPOINT ["auditor"]
CMD ["--help"]
