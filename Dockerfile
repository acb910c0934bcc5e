# Tipline API or worker image: slim, non-root, no secrets inside (mount them at run time).
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY service service
COPY channels channels
COPY triage triage
COPY crypto crypto
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home /var/lib/tipline tipline \
    && mkdir -p /var/lib/tipline && chown tipline /var/lib/tipline
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/* && rm -rf /wheels
USER tipline
WORKDIR /var/lib/tipline
ENV TIPLINE_DATA_DIR=/var/lib/tipline \
    TIPLINE_ENV=production \
    PYTHONUNBUFFERED=1
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
CMD ["tipline", "serve", "--host", "0.0.0.0", "--port", "8000"]
