# Loa in a container: slim, the locked dependencies checked by hash, run as an unprivileged user.
# Build: docker build -t loa .      Run: see compose.yaml and README "Deploying".
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app

# Dependencies first (a layer that changes only with the lock file).
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock

# Then Loa itself, without touching the dependencies installed above.
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY db ./db
COPY content ./content
COPY locales ./locales
RUN pip install --no-deps --no-build-isolation . \
    && useradd --system --home-dir /var/lib/loa --create-home --shell /usr/sbin/nologin loa \
    && install -d -o loa -g loa -m 0700 /var/lib/loa/media

ENV CONTENT_DIR=/app/content \
    LOCALES_DIR=/app/locales \
    MEDIA_DIR=/var/lib/loa/media \
    WEBHOOK_LISTEN=0.0.0.0:8080

USER loa
WORKDIR /var/lib/loa
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]
ENTRYPOINT ["loa"]
CMD ["run"]
