"""Gradio chat UI for the cited Q&A assistant (``rag ui``).

``build_app(assistant)`` -> gr.Blocks; ``launch(args)`` starts the server
(127.0.0.1:7860 unless told otherwise). Importing ``ui.app`` imports Gradio,
so this package stays lazy.
"""

__all__ = ["build_app", "launch"]


def __getattr__(name):
    if name in __all__:
        from . import app

        return getattr(app, name)
    raise AttributeError(name)
