"""The Python Celery side of the transport tests: an app on the broker the
test gives in PF_BROKER, with one task for a Python worker to run."""
import os

from celery import Celery

app = Celery("prodflow_test", broker=os.environ["PF_BROKER"], backend=os.environ["PF_BROKER"])
app.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"])


@app.task(name="test.py_mul")
def py_mul(a, b):
    return a * b


@app.task(name="bench.noop")
def bench_noop():
    """bench/bench_celery.c: tasks per second through Redis."""
    return None
