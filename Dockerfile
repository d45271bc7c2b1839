# auditor in a container: `docker build -t auditor .` then, for example,
#   docker run --rm -v "$PWD:/work" auditor audit snapshot.json --out reports
#   docker run --rm -e AZURE_TENANT_ID -e AZURE_CLIENT_ID -e AZURE_FEDERATED_TOKEN_FILE=/work/token \
#     -v "$PWD:/work" auditor run --auth workload-identity --snapshot snapshot.json.gz --out reports
# Secrets come from the environment (-e NAME), never from a flag or the image.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1

COPY pyproject.toml README.md /src/
COPY auditor /src/auditor
COPY policies /src/policies
COPY baselines /src/baselines
RUN python -m pip install /src && rm -rf /src \
    && useradd --create-home --uid 10001 auditor

USER auditor
WORKDIR /work
ENTRYPOINT ["auditor"]
CMD ["--help"]
