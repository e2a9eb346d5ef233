"""catdog: a small convnet that tells cats from dogs, with no Streamlit in it."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter out of the CLI
