# One image for web (gunicorn), Celery worker and beat; see docker-compose.yml.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# WeasyPrint's runtime libraries (Pango, HarfBuzz subsetting) and the fonts the letters use.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-liberation2 \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 1000 --user-group collectio

WORKDIR /app

# Dependencies first: this layer is rebuilt only when pyproject.toml (or its README.md) changes.
COPY pyproject.toml README.md* ./
RUN pip install .

COPY . .
# Static files are baked into the image (served by WhiteNoise); the key only satisfies settings.
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput -v 0 \
 && mkdir -p var/media var/run \
 && chown collectio:collectio var/media var/run

USER collectio
EXPOSE 8000
# gunicorn reads WEB_CONCURRENCY for its number of workers.
CMD ["gunicorn", "collectio.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
