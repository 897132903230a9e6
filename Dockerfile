# The mock (and the verify harness) as an image:
#   docker build -t understudy .
#   docker run --rm -p 8080:8080 understudy                  # serve every surface
#   docker run --rm understudy verify --base-url URL ...     # any other command
# Options are UNDERSTUDY_* variables too, e.g. -e UNDERSTUDY_SIZE=medium.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# the pinned tree first: a code change does not re-install the dependencies
COPY requirements.lock ./
RUN pip install --requirement requirements.lock
COPY pyproject.toml README.md ./
COPY understudy ./understudy
COPY mock ./mock
COPY fixtures ./fixtures
COPY contracts ./contracts
COPY openapi ./openapi
RUN pip install --no-deps . && useradd --create-home --uid 10001 understudy

USER understudy
# the checked specs and the demo tenant in the user's cache: the container is ready in < 1 s
RUN understudy serve --prepare
WORKDIR /work
EXPOSE 8080
HEALTHCHECK --interval=5s --timeout=3s --start-period=30s --retries=5 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/__understudy/health', timeout=2)"]
ENTRYPOINT ["understudy"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080"]
