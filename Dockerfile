# Production image: authq under gunicorn. The same image runs the Celery worker and beat
# (see docker-compose.yml). Configured only through environment variables at run time.
FROM python:3.13-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    PATH=/opt/venv/bin:$PATH \
    WEB_CONCURRENCY=3

RUN pip install --no-cache-dir uv==0.13.8

WORKDIR /app
# Dependencies before the code, so a code change does not reinstall them. Only the
# project's own dependencies: no dev tools, no embedded PostgreSQL/Redis.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-default-groups --no-cache --python /usr/local/bin/python3

COPY . .
# Static files are collected into the image (whitenoise serves them); the values below
# only let the settings load, nothing connects to them.
RUN DJANGO_SECRET_KEY=collectstatic-only \
    DATABASE_URL=postgres://build@localhost/build \
    REDIS_URL=redis://localhost:6379/0 \
    AUTHQ_EMAIL_HOST=localhost \
    python manage.py collectstatic --noinput \
 && useradd --system --no-create-home authq \
 && mkdir -p var/media \
 && chown authq var var/media

USER authq
EXPOSE 8000
# gunicorn reads its number of workers from WEB_CONCURRENCY.
CMD ["gunicorn", "-c", "python:authq.gunicorn_conf", "authq.wsgi"]
