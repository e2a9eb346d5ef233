# catdog as a public demo: the Classify page on the two bundled models, training off.
#   docker build -t catdog . && docker run --rm -p 8501:8501 catdog        (then open http://localhost:8501)
# Training on (for a class, behind a password): docker run -e CATDOG_TRAINING=password \
#   -e CATDOG_TRAINING_PASSWORD=... -v catdog-data:/data -p 8501:8501 catdog   (docs/deploy.md)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# The dependencies first: this layer stays cached while only the app's code changes.
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

# Named one by one, so that nothing else (datasets, trained models, .streamlit/secrets.toml) can slip in.
COPY app.py ./
COPY pages/ ./pages/
COPY catdog/ ./catdog/
COPY models/catdog.keras models/catdog.json models/convnet-from-scratch.keras models/convnet-from-scratch.json ./models/
COPY .streamlit/config.toml ./.streamlit/

# The app's code and bundled models stay root's and read-only; the server writes only under /data.
RUN groupadd --gid 10001 catdog \
    && useradd --create-home --uid 10001 --gid 10001 catdog \
    && mkdir -p /data/datasets /data/models /data/keras \
    && chown -R catdog:catdog /data
ENV CATDOG_TRAINING=off \
    CATDOG_DATA_DIR=/data/datasets \
    CATDOG_MODELS_DIR=/data/models \
    KERAS_HOME=/data/keras
USER 10001:10001

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://localhost:8501/_stcore/health', timeout=4)"]
CMD ["python", "-m", "streamlit", "run", "app.py", "--server.address=0.0.0.0", "--server.port=8501"]
