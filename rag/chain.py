"""The retrieval-augmented chain as one LangChain runnable: retrieve, then answer.

Any answerer that maps {"question", "documents"} to an Answer plugs in here
(the extractive default, or an LLM answerer).
"""
from __future__ import annotations

from langchain_core.runnables import Runnable, RunnableLambda, RunnablePassthrough


def build_chain(retriever, answerer) -> Runnable:
    return (
        RunnablePassthrough.assign(documents=RunnableLambda(lambda x: retriever.invoke(x["question"])))
        | answerer
    )
