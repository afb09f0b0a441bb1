"""Notebook 11's checkers, on the JAX backend: the solutions pass with the committed messages,
the stubs get theirs, and the common mistakes get a hint that names them.

The checkers need Keras on JAX, and this pytest process runs Keras on TensorFlow, so one child
process (``helpers.backends.run_on_backend``) runs every case and prints each verdict.
"""

import json

import pytest
from solutions import committed_outputs

from helpers.backends import run_on_backend

CASES = r'''
import json, sys
sys.path.insert(0, "tests")
import helpers
helpers.setup(backend="jax", verbose=False)
import contextlib, io, jax, keras
from helpers import checks
from solutions import load

answers, stubs = load("11"), load("11", part="lesson")


def tuple_too(model, trainable, non_trainable, images):
    return model.stateless_call(trainable, non_trainable, images, training=False)


def training_mode(model, trainable, non_trainable, images):
    return model.stateless_call(trainable, non_trainable, images, training=True)[0]


def own_variables(model, trainable, non_trainable, images):
    return model(images, training=False)


def drops(keep):
    """make_jitted_step whose step returns the old value of state[keep] instead of the new."""
    def make(model, optimizer, loss_fn):
        step = answers.make_jitted_step(model, optimizer, loss_fn)

        @jax.jit
        def forgetful(state, images, labels):
            loss, new = step(state, images, labels)
            return loss, tuple(state[i] if i == keep else new[i] for i in range(3))

        return forgetful
    return make


def one_device():
    return keras.distribution.DataParallel(devices=keras.distribution.list_devices()[:1])


cases = {
    "solutions": [(name, getattr(answers, name)) for name in
                  ("predict_statelessly", "make_jitted_step", "data_parallel")],
    "lesson": [(name, getattr(stubs, name)) for name in
               ("predict_statelessly", "make_jitted_step", "data_parallel")],
    "tuple_too": [("predict_statelessly", tuple_too)],
    "training_mode": [("predict_statelessly", training_mode)],
    "own_variables": [("predict_statelessly", own_variables)],
    "drops_weights": [("make_jitted_step", drops(0))],
    "drops_statistics": [("make_jitted_step", drops(1))],
    "drops_optimizer": [("make_jitted_step", drops(2))],
    "one_device": [("data_parallel", one_device)],
}
checker = {"predict_statelessly": checks.predict_statelessly,
           "make_jitted_step": checks.jitted_step, "data_parallel": checks.data_parallel}
verdicts = {}
for case, answers_to_check in cases.items():
    for name, answer in answers_to_check:
        with contextlib.redirect_stdout(io.StringIO()) as printed:
            checker[name](answer)
        verdicts[f"{case}/{name}"] = printed.getvalue()
print(json.dumps(verdicts))
'''


@pytest.fixture(scope="module")
def verdicts():
    env = {"XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    return json.loads(run_on_backend("jax", CASES, timeout=300, env=env).splitlines()[-1])


CHECKERS = {
    "predict_statelessly": "predict_statelessly",
    "make_jitted_step": "jitted_step",
    "data_parallel": "data_parallel",
}


@pytest.mark.parametrize("part", ["solutions", "lesson"])
@pytest.mark.parametrize("answer", list(CHECKERS))
def test_answers_and_stubs_print_what_the_notebooks_show(verdicts, part, answer):
    committed = committed_outputs("11", part)[f"checks.{CHECKERS[answer]}({answer})"]
    assert verdicts[f"{part}/{answer}"] == committed
    assert committed.startswith("✅" if part == "solutions" else "❌ Not yet")


@pytest.mark.parametrize(
    "case, hint",
    [
        ("tuple_too/predict_statelessly", "returned a tuple"),
        ("training_mode/predict_statelessly", "Hint: training=False"),
        ("own_variables/predict_statelessly", "the model's own variables"),
        ("drops_weights/make_jitted_step", "weights have not changed"),
        ("drops_statistics/make_jitted_step", "moving statistics have not changed"),
        ("drops_optimizer/make_jitted_step", "optimizer's state has not changed"),
        ("one_device/data_parallel", "the devices: expected ['cpu:0', 'cpu:1']"),
    ],
)
def test_common_mistakes_get_a_hint_that_names_them(verdicts, case, hint):
    assert verdicts[case].startswith("❌ Not yet") and hint in verdicts[case], verdicts[case]


def test_the_checkers_refuse_to_run_on_tensorflow(capsys):
    from helpers import checks

    assert not checks.predict_statelessly(lambda *args: None)
    assert 'helpers.setup(backend="jax")' in capsys.readouterr().out
