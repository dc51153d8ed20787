# The application image: Django + Channels served by Daphne. docker-compose.yml runs two
# replicas of it behind nginx; nginx serves /static/ from the volume filled by collectstatic.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STATIC_ROOT=/srv/static

WORKDIR /app
# gettext: compilemessages (the .mo files are built, not committed).
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin app \
    && mkdir -p /srv/static && chown app /srv/static

COPY . /app
# constraints.txt: the versions the suite passed with (`make constraints` refreshes it).
RUN pip install -c constraints.txt . \
    && if [ -d locale ]; then DJANGO_DEBUG=1 python manage.py compilemessages -v 0; fi \
    && rm -rf build *.egg-info

USER app
# Static files are baked into the image; the compose `migrate` service runs collectstatic
# again into the shared volume at every start, so that it follows the image on an upgrade.
RUN DJANGO_DEBUG=1 python manage.py collectstatic --noinput -v 0

EXPOSE 8000
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "config.asgi:application"]
