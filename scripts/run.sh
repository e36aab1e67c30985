#!/usr/bin/env bash
# Called by `make run` (through scripts/services.sh exec, which provides the services and env):
# prepare the database, then run web + worker + beat from the Procfile until Ctrl-C.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

python manage.py migrate --noinput
python manage.py seed_demo
static_root=$(DJANGO_SETTINGS_MODULE=collectio.settings python -c \
  'from django.conf import settings; print(settings.STATIC_ROOT or "")' 2>/dev/null || true)
if [ -n "$static_root" ]; then python manage.py collectstatic --noinput -v 0; fi

cat <<'MSG'

  Collectio is starting on http://127.0.0.1:8000/  (Ctrl-C stops everything)
  Demo logins, password "collectio-demo":
    admin@demo.collectio.fr     agency admin
    agent1@demo.collectio.fr    collection agent
    client1@demo.collectio.fr   creditor client

MSG
# -e /dev/null: .env is docker compose's file; the processes get exactly the environment above.
exec honcho start -e /dev/null -f Procfile
