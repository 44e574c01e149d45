FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

# The pinned, hashed production lock (`make lock`), then the project itself with its pinned
# setuptools.
COPY pyproject.toml README.md requirements.lock ./
RUN pip install --require-hashes -r requirements.lock \
    && pip install --no-deps --no-build-isolation .

COPY . .
RUN SECRET_KEY=build-only FIELD_ENCRYPTION_KEYS=ZGV2LW9ubHktZmllbGQta2V5LWxlZGdlcmxpbmstMDE= \
    python manage.py collectstatic --noinput

RUN useradd --create-home ledgerlink
USER ledgerlink
EXPOSE 8000
CMD ["gunicorn", "-c", "config/gunicorn.py", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "2", "--threads", "4", "--access-logfile", "-"]
