"""catdog: a small convnet that tells cats from dogs, with no Streamlit in it."""

from catdog.tensorflow_logs import quiet_tensorflow_start_up

quiet_tensorflow_start_up()  # before any catdog module imports TensorFlow
