"""A page's rerun keeps what TensorFlow built: Streamlit's end-of-run cleanup must not clear Keras's session."""

import keras


def test_reruns_leave_keras_session_and_kernels_alone(open_app, monkeypatch):
    """Clearing the session empties TensorFlow's kernel cache: the next verdict would cost 0.8 s of CPU, not 0.04."""
    clears = []
    monkeypatch.setattr(keras.backend, "clear_session", lambda *args, **kwargs: clears.append(args))
    at = open_app("pages/evaluate.py")
    at.run()
    assert not at.exception
    assert clears == []
