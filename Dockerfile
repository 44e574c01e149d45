FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml README.md ./
RUN pip install --upgrade pip && pip install .

COPY . .
RUN SECRET_KEY=build-only FIELD_ENCRYPTION_KEYS=ZGV2LW9ubHktZmllbGQta2V5LWxlZGdlcmxpbmstMDE= \
    python manage.py collectstatic --noinput

RUN useradd --create-home ledgerlink
USER ledgerlink
EXPOSE 8000
CMD ["gunicorn", "-c", "config/gunicorn.py", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "2", "--threads", "4", "--access-logfile", "-"]
