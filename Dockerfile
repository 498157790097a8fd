# genodash in a container, installed with the same two steps as the README.
# Build:  docker build -t genodash .
# Run:    docker run -p 127.0.0.1:8501:8501 -v genodash-runs:/app/runs genodash
#         (publish on the host's loopback only, behind the password proxy of docs/DEPLOY.md)
# For a CPU-only image, add: --build-arg TORCH_INDEX=https://download.pytorch.org/whl/cpu
FROM python:3.11-slim

ARG TORCH_INDEX=https://pypi.org/simple
ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    OMP_WAIT_POLICY=PASSIVE \
    GENODASH_RUNS_DIR=/app/runs

WORKDIR /app
COPY requirements.txt .
RUN pip install torch==2.13.0 --index-url "$TORCH_INDEX" \
    && pip install -r requirements.txt

COPY . .
RUN useradd --create-home genodash && mkdir -p /app/runs && chown genodash /app/runs
USER genodash

EXPOSE 8501
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health')"
CMD ["streamlit", "run", "app.py", "--server.address", "0.0.0.0", "--server.port", "8501", "--server.headless", "true"]
