"""gunicorn settings: ``gunicorn -c config/gunicorn.py config.wsgi`` (Procfile, Dockerfile).

The access log goes to stdout like every other log, through a logger class that keeps OAuth
``code`` and ``state`` values out of it (see ``config/logredact.py``).
"""

accesslog = "-"
logger_class = "config.logredact.RedactingGunicornLogger"
