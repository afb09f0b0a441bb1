"""Reference versions of the models the notebooks teach.

The ResNet here is the article's code (written for TF 2.0, and kept verbatim
in ``helpers.article``) ported to Keras 3: the same layers, created in the
same order, with the same attribute names, so
``model.set_weights(article_model.get_weights())`` works and both give the
same outputs. What is new: it uses only ``keras`` (so it runs on any backend),
``model.build(input_shape)`` really creates the weights, bad arguments and
badly shaped inputs raise a short, clear error, the models can be saved as
``.keras`` files, and ``build_functional_resnet`` builds the same network with
the Functional API so ``summary()`` shows every block. Two options the article
doesn't have: ``bn_momentum`` (BatchNormalization's momentum, saved with the
model) and ``fused_batchnorm=True`` (TensorFlow's one-kernel BatchNormalization
for training, faster on a CPU, see ``FusedBatchNormalization``; figures in
bench/README.md). ``batchnorm_layers(model)`` finds every BatchNormalization
layer in a model: notebook 05 writes it, later notebooks import it from here.

Example::

    from helpers.models import ResNet, resnet_block_plan
    resnet_block_plan([2, 2, 2])      # what ResNet builds, block by block
    model = ResNet([2, 2, 2], num_classes=10)
    model.build((None, 28, 28, 1))
    model.count_params()              # 175898
"""

import numbers

import keras
from keras import ops

PACKAGE = "keras_models"


# ---------------------------------------------------------------- checks ----


def _positive_int(value, name, owner, example):
    """Return ``value`` as an int, or raise a clear error naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{owner}: {name} must be a positive int, e.g. {example}; "
            f"got {value!r} ({type(value).__name__})."
        )
    if value < 1:
        raise ValueError(
            f"{owner}: {name} must be a positive int (1 or more), e.g. {example}; got {value}."
        )
    return int(value)


def _check_block_list(block_list):
    """Return ``block_list`` as a list of ints, or raise a clear error."""
    if not isinstance(block_list, (list, tuple)):
        raise TypeError(
            "ResNet: block_list must be a list or tuple of positive ints "
            f"(blocks per stage), e.g. [2, 2, 2]; got {block_list!r}."
        )
    if len(block_list) == 0:
        raise ValueError(
            f"ResNet: block_list must have at least one stage, e.g. [2, 2, 2]; got {block_list!r}."
        )
    return [
        _positive_int(n, f"block_list[{i}]", "ResNet", "2 as in [2, 2, 2]")
        for i, n in enumerate(block_list)
    ]


def _check_images(shape, owner, channels=None, min_size=1, why="", building=False):
    """Check a static shape (batch, height, width, channels); return a tuple.

    ``channels``: the channel count the model was built for (None: any).
    ``min_size``: smallest allowed height and width; ``why`` explains it.
    Unknown sizes (None) pass, so this works on symbolic shapes; only
    ``build`` (``building=True``) insists on knowing the channel count.
    """
    try:
        shape = tuple(shape)
    except (TypeError, ValueError):
        raise TypeError(
            f"{owner} expects a shape (batch, height, width, channels), "
            f"e.g. (None, 28, 28, 1); got {shape!r}."
        ) from None
    if len(shape) != 4:
        raise ValueError(
            f"{owner} expects inputs of rank 4, (batch, height, width, "
            f"channels), e.g. (None, 28, 28, 1); got shape {shape} "
            f"of rank {len(shape)}."
        )
    if building and shape[-1] is None:
        raise ValueError(
            f"{owner} needs to know the number of channels (last axis) to "
            f"build its weights, e.g. (None, 28, 28, 1); got shape {shape}."
        )
    if None not in (channels, shape[-1]) and shape[-1] != channels:
        raise ValueError(
            f"{owner} was built for images with {channels} channel(s) on the "
            f"last axis, i.e. shape (batch, height, width, {channels}); "
            f"got shape {shape}."
        )
    height, width = shape[1], shape[2]
    if any(size is not None and size < min_size for size in (height, width)):
        raise ValueError(
            f"{owner}: {why}height and width must each be at least "
            f"{min_size}; got height {height} and width {width} "
            f"(shape {shape})."
        )
    return shape


def _min_image_size(block_list):
    """Smallest height/width so each stride-2 stage halves a real image."""
    return 2 ** (len(block_list) - 1)


def _size_reason(block_list):
    stages = len(block_list) - 1
    return (
        f"block_list={list(block_list)} has {stages} stride-2 stage(s), each halving the image, so "
    )


# ----------------------------------------------------------- initializer ----


def _new_initializer(kernel_initializer=None):
    """A fresh initializer: the article's RandomNormal(0, 0.05) by default.

    Every conv gets its own copy: one unseeded Keras initializer object shared
    by several layers would give same-shaped kernels identical values.
    """
    if kernel_initializer is None:
        return keras.initializers.RandomNormal(mean=0.0, stddev=0.05)
    initializer = keras.initializers.get(kernel_initializer)
    if isinstance(initializer, keras.initializers.Initializer):
        initializer = initializer.clone()
    return initializer


def _initializer_config(kernel_initializer):
    """What ``get_config`` stores: None (the article's) or a serialized one."""
    if kernel_initializer is None:
        return None
    return keras.initializers.serialize(kernel_initializer)


# -------------------------------------------------------- normalization ----


@keras.saving.register_keras_serializable(package=PACKAGE)
class FusedBatchNormalization(keras.layers.BatchNormalization):
    """BatchNormalization that trains with TensorFlow's fused kernel.

    Keras 3 normalizes with separate generic ops (mean, variance, subtract,
    scale, shift, and their gradients): about half of a ResNet training step
    on a CPU. Keras 2, like PyTorch, used one fused kernel (oneDNN's on a CPU).
    On the TensorFlow backend, for training on images (rank 4, channels
    last), this layer calls that kernel; everything else -- inference, other
    backends, masks, renorm, synchronized BN -- is Keras's own code. Same
    weights, same moving statistics (the kernel's variance is turned back
    into the biased one Keras keeps), outputs equal to about 1e-6.

    Example::

        bn = FusedBatchNormalization(momentum=0.9)
        y = bn(keras.ops.ones((8, 28, 28, 16)), training=True)
    """

    def _can_fuse(self, inputs, training, mask):
        return (
            training is True
            and self.trainable
            and mask is None
            and keras.backend.backend() == "tensorflow"
            and len(inputs.shape) == 4
            and self.axis in (-1, 3)
            and self.scale
            and self.center
            and not self.renorm
            and not self.synchronized
        )

    def call(self, inputs, training=None, mask=None):
        if not self._can_fuse(inputs, training, mask):
            return super().call(inputs, training=training, mask=mask)
        import tensorflow as tf  # only reached on the TensorFlow backend

        outputs, mean, variance = tf.compat.v1.nn.fused_batch_norm(
            inputs, self.gamma, self.beta, epsilon=self.epsilon, is_training=True
        )
        # The kernel returns the unbiased (n - 1) batch variance; Keras
        # averages the biased one (n), so convert it back.
        n = ops.cast(ops.size(inputs) // ops.shape(inputs)[-1], "float32")
        variance = variance * (n - 1.0) / n
        self.moving_mean.assign(self.moving_mean * self.momentum + mean * (1.0 - self.momentum))
        self.moving_variance.assign(
            self.moving_variance * self.momentum + variance * (1.0 - self.momentum)
        )
        return ops.cast(outputs, self.compute_dtype)


def _check_bn_options(momentum, fused):
    """Return (momentum as float, fused), or raise a clear error."""
    if (
        isinstance(momentum, bool)
        or not isinstance(momentum, numbers.Real)
        or not 0.0 <= momentum < 1.0
    ):
        raise ValueError(
            "bn_momentum must be a number in [0, 1), e.g. 0.99 (Keras's "
            f"default) or 0.9 (PyTorch's default); got {momentum!r}."
        )
    if not isinstance(fused, bool):
        raise TypeError(f"fused_batchnorm must be True or False; got {fused!r}.")
    return float(momentum), fused


def batch_normalization(momentum=0.99, fused=False, name=None):
    """The BatchNormalization layer the ResNet uses: Keras's, or the fused one.

    ``momentum`` is how much of the old moving mean and variance each
    training step keeps (Keras's default 0.99, the article's; 0.9 is
    PyTorch's default). ``fused=True`` returns a ``FusedBatchNormalization``,
    same weights and results, faster training on the TensorFlow backend.

    Example::

        bn = batch_normalization(momentum=0.9)               # keras.layers.BatchNormalization
        fast = batch_normalization(momentum=0.9, fused=True)  # FusedBatchNormalization
    """
    momentum, fused = _check_bn_options(momentum, fused)
    layer = FusedBatchNormalization if fused else keras.layers.BatchNormalization
    return layer(momentum=momentum, name=name)


def batchnorm_layers(model):
    """Every BatchNormalization layer inside a model, however deeply nested.

    Walks ``model.layers`` in order and, depth first, the ``layers`` of every
    model inside it (a ``Sequential``, a ``ResnetBlock``, a Functional model),
    so a ``ResNet``'s 15 layers come out block by block: ``bn1``, ``bn2``
    (and ``down_bn``) of each block, then ``final_bn``. Subclasses such as
    ``FusedBatchNormalization`` count. Notebook 05 writes this function; later
    notebooks import it from here to read or set every layer's ``momentum``
    and moving statistics.

    Example::

        model = ResNet([2, 2, 2], 10)
        model.build((None, 28, 28, 1))
        len(batchnorm_layers(model))                          # 15
        for layer in batchnorm_layers(model):
            layer.momentum = 0.9
    """
    found = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            found.append(layer)
        elif hasattr(layer, "layers"):
            found.extend(batchnorm_layers(layer))
    return found


# ---------------------------------------------------------------- layers ----


def conv3x3(channels, stride=1, kernel=(3, 3), kernel_initializer=None, name=None):
    """The article's convolution: 'same' padding, no bias, random kernels.

    Returns a ``keras.layers.Conv2D`` with ``channels`` filters, a 3x3 kernel
    (or ``kernel``), ``strides=stride`` and, unless ``kernel_initializer`` is
    given, the article's initializer RandomNormal(mean=0, stddev=0.05) (what
    ``tf.random_normal_initializer()`` means). Pass e.g. ``"he_normal"`` to
    compare with He initialisation.

    Example::

        conv = conv3x3(16)                        # 3x3, stride 1
        down = conv3x3(32, 2, kernel=(1, 1), kernel_initializer="he_normal")
    """
    channels = _positive_int(channels, "channels", "conv3x3", 16)
    stride = _positive_int(stride, "stride", "conv3x3", "1 or 2")
    return keras.layers.Conv2D(
        channels,
        kernel,
        strides=stride,
        padding="same",
        use_bias=False,
        kernel_initializer=_new_initializer(kernel_initializer),
        name=name,
    )


def resnet_block_plan(block_list, initial_filters=16):
    """The list of blocks a ResNet builds, one dict per block, in order.

    Each dict has ``stage`` and ``block`` (0-based positions), ``in_channels``,
    ``channels``, ``strides`` and ``residual_path``: the first block of every
    stage but the first halves the image (strides 2) and doubles the channels,
    so its shortcut needs a 1x1 conv (residual_path True). ``ResNet`` and
    ``build_functional_resnet`` both build from this plan.

    Example::

        for step in resnet_block_plan([2, 2, 2]):
            print(step)   # {'stage': 0, 'block': 0, 'in_channels': 16, ...}
    """
    block_list = _check_block_list(block_list)
    initial_filters = _positive_int(initial_filters, "initial_filters", "ResNet", 16)
    plan = []
    in_channels = out_channels = initial_filters
    for stage, num_blocks in enumerate(block_list):
        for block in range(num_blocks):
            if stage != 0 and block == 0:
                strides, residual_path = 2, True
            else:
                # The article's rule. It is always False: only a stage's
                # first block changes the channels, and that case is above.
                strides, residual_path = 1, in_channels != out_channels
            plan.append(
                {
                    "stage": stage,
                    "block": block,
                    "in_channels": in_channels,
                    "channels": out_channels,
                    "strides": strides,
                    "residual_path": residual_path,
                }
            )
            in_channels = out_channels
        out_channels *= 2
    return plan


@keras.saving.register_keras_serializable(package=PACKAGE)
class ResnetBlock(keras.Model):
    """The article's pre-activation residual block: BN-ReLU-conv twice, plus x.

    ``call`` computes ``conv2(relu(bn2(conv1(relu(bn1(x)))))) + shortcut``
    where the shortcut is ``x`` itself, or, with ``residual_path=True``,
    ``down_conv(relu(down_bn(x)))`` (a 1x1 conv that matches the new channel
    count and ``strides``). Without a residual path the input must already
    have ``channels`` channels and ``strides`` must be 1. ``bn_momentum`` and
    ``fused_batchnorm`` go to every BatchNormalization (see
    ``batch_normalization``).

    Example::

        block = ResnetBlock(32, strides=2, residual_path=True)
        y = block(keras.ops.ones((1, 28, 28, 16)))    # shape (1, 14, 14, 32)
    """

    def __init__(
        self,
        channels,
        strides=1,
        residual_path=False,
        kernel_initializer=None,
        bn_momentum=0.99,
        fused_batchnorm=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.channels = _positive_int(channels, "channels", "ResnetBlock", 16)
        self.strides = _positive_int(strides, "strides", "ResnetBlock", "1 or 2")
        if not isinstance(residual_path, bool):
            raise TypeError(
                f"ResnetBlock: residual_path must be True or False; got {residual_path!r}."
            )
        self.residual_path = residual_path
        self.kernel_initializer = (
            None if kernel_initializer is None else keras.initializers.get(kernel_initializer)
        )
        self.input_channels = None  # set by build()
        self.bn_momentum, self.fused_batchnorm = _check_bn_options(bn_momentum, fused_batchnorm)
        # Same layers, same order as the article (this fixes weight order).
        self.conv1 = conv3x3(
            self.channels, self.strides, kernel_initializer=self.kernel_initializer
        )
        self.bn1 = batch_normalization(bn_momentum, fused_batchnorm)
        self.conv2 = conv3x3(self.channels, kernel_initializer=self.kernel_initializer)
        self.bn2 = batch_normalization(bn_momentum, fused_batchnorm)
        if residual_path:
            self.down_conv = conv3x3(
                self.channels,
                self.strides,
                kernel=(1, 1),
                kernel_initializer=self.kernel_initializer,
            )
            self.down_bn = batch_normalization(bn_momentum, fused_batchnorm)

    def build(self, input_shape):
        shape = _check_images(input_shape, f"ResnetBlock '{self.name}'", building=True)
        in_channels = shape[-1]
        if not self.residual_path and (in_channels != self.channels or self.strides != 1):
            raise ValueError(
                f"ResnetBlock '{self.name}': without a residual path the "
                f"input is added to the output as it is, so it needs "
                f"{self.channels} channels and strides=1; got {in_channels} "
                f"channels and strides={self.strides}. "
                "Use residual_path=True."
            )
        self.bn1.build(shape)
        self.conv1.build(shape)
        inner_shape = self.conv1.compute_output_shape(shape)
        self.bn2.build(inner_shape)
        self.conv2.build(inner_shape)
        if self.residual_path:
            self.down_bn.build(shape)
            self.down_conv.build(shape)
        self.input_channels = in_channels

    def call(self, inputs, training=None):
        _check_images(inputs.shape, f"ResnetBlock '{self.name}'", channels=self.input_channels)
        residual = inputs
        x = self.bn1(inputs, training=training)
        x = ops.relu(x)
        x = self.conv1(x)
        x = self.bn2(x, training=training)
        x = ops.relu(x)
        x = self.conv2(x)
        if self.residual_path:
            residual = self.down_bn(inputs, training=training)
            residual = ops.relu(residual)
            residual = self.down_conv(residual)
        return x + residual

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "channels": self.channels,
                "strides": self.strides,
                "residual_path": self.residual_path,
                "kernel_initializer": _initializer_config(self.kernel_initializer),
                "bn_momentum": self.bn_momentum,
                "fused_batchnorm": self.fused_batchnorm,
            }
        )
        return config


@keras.saving.register_keras_serializable(package=PACKAGE)
class ResNet(keras.Model):
    """The article's ResNet: a conv, stages of ResnetBlocks, BN-ReLU, pool, fc.

    ``block_list`` gives the number of blocks per stage; each stage after the
    first halves height and width and doubles the channels, starting from
    ``initial_filters``. The output is ``num_classes`` logits (no softmax).
    The blocks live in ``model.blocks``, a ``keras.Sequential`` named
    'dynamic-blocks', built from ``resnet_block_plan``; every conv uses
    ``kernel_initializer`` (default: the article's RandomNormal(0, 0.05)) and
    every BatchNormalization ``bn_momentum`` (default 0.99, Keras's and the
    article's) and, with ``fused_batchnorm=True``, TensorFlow's fused kernel.
    ``model.build(input_shape)`` creates all the weights, and images must be
    at least 2**(len(block_list) - 1) pixels high and wide.

    Example::

        model = ResNet([2, 2, 2], num_classes=10)
        logits = model(keras.ops.ones((8, 28, 28, 1)))   # shape (8, 10)
        model.count_params()                            # 175898
    """

    def __init__(
        self,
        block_list,
        num_classes,
        initial_filters=16,
        kernel_initializer=None,
        bn_momentum=0.99,
        fused_batchnorm=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        plan = resnet_block_plan(block_list, initial_filters)  # checks both
        self.num_classes = _positive_int(num_classes, "num_classes", "ResNet", 10)
        self.initial_filters = int(initial_filters)
        self.kernel_initializer = (
            None if kernel_initializer is None else keras.initializers.get(kernel_initializer)
        )
        self.input_channels = None  # channels of the images; set by build()
        self.bn_momentum, self.fused_batchnorm = _check_bn_options(bn_momentum, fused_batchnorm)
        self.num_blocks = len(block_list)
        self.block_list = [int(n) for n in block_list]
        self.conv_initial = conv3x3(
            self.initial_filters, kernel_initializer=self.kernel_initializer
        )
        self.blocks = keras.Sequential(name="dynamic-blocks")
        for step in plan:
            self.blocks.add(
                ResnetBlock(
                    step["channels"],
                    strides=step["strides"],
                    residual_path=step["residual_path"],
                    kernel_initializer=self.kernel_initializer,
                    bn_momentum=bn_momentum,
                    fused_batchnorm=fused_batchnorm,
                )
            )
        # The article's loop counters end with these values.
        self.in_channels = plan[-1]["channels"]
        self.out_channels = 2 * plan[-1]["channels"]
        self.final_bn = batch_normalization(bn_momentum, fused_batchnorm)
        self.avg_pool = keras.layers.GlobalAveragePooling2D()
        self.fc = keras.layers.Dense(self.num_classes)

    def _check_inputs(self, shape, building=False):
        return _check_images(
            shape,
            f"ResNet '{self.name}'",
            channels=self.input_channels,
            min_size=_min_image_size(self.block_list),
            why=_size_reason(self.block_list),
            building=building,
        )

    def build(self, input_shape):
        shape = self._check_inputs(input_shape, building=True)
        channels = shape[-1]
        shape = (None, *shape[1:])  # any batch size
        self.conv_initial.build(shape)
        shape = self.conv_initial.compute_output_shape(shape)
        self.blocks.build(shape)
        shape = self.blocks.compute_output_shape(shape)
        self.final_bn.build(shape)
        self.fc.build((None, shape[-1]))
        self.input_channels = channels

    def call(self, inputs, training=None):
        self._check_inputs(inputs.shape)
        out = self.conv_initial(inputs)
        out = self.blocks(out, training=training)
        out = self.final_bn(out, training=training)
        out = ops.relu(out)
        out = self.avg_pool(out)
        out = self.fc(out)
        return out

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "block_list": list(self.block_list),
                "num_classes": self.num_classes,
                "initial_filters": self.initial_filters,
                "kernel_initializer": _initializer_config(self.kernel_initializer),
                "bn_momentum": self.bn_momentum,
                "fused_batchnorm": self.fused_batchnorm,
            }
        )
        return config


def build_functional_resnet(
    block_list=(2, 2, 2),
    num_classes=10,
    input_shape=(28, 28, 1),
    initial_filters=16,
    kernel_initializer=None,
    bn_momentum=0.99,
    fused_batchnorm=False,
    name="resnet_functional",
):
    """The same network as ``ResNet``, built with the Functional API.

    The graph is keras.Input -> conv_initial -> one ResnetBlock per entry of
    ``resnet_block_plan`` (named 'stage0_block0', ...) -> final_bn -> relu ->
    avg_pool -> fc, so ``summary()`` and ``plot_model`` show the real shapes.
    ``bn_momentum`` and ``fused_batchnorm`` are ``ResNet``'s.
    Its weights come in the same order as ``ResNet``'s, so
    ``functional.set_weights(resnet.get_weights())`` makes the two equal.

    Example::

        model = build_functional_resnet([2, 2, 2], 10, input_shape=(28, 28, 1))
        model.summary()                   # Total params: 175,898
    """
    plan = resnet_block_plan(block_list, initial_filters)
    block_list = _check_block_list(block_list)
    num_classes = _positive_int(num_classes, "num_classes", "ResNet", 10)
    if not isinstance(input_shape, (list, tuple)) or len(input_shape) != 3:
        raise ValueError(
            "build_functional_resnet: input_shape must be (height, width, "
            f"channels), e.g. (28, 28, 1); got {input_shape!r}."
        )
    _check_bn_options(bn_momentum, fused_batchnorm)
    _check_images(
        (None, *input_shape),
        "build_functional_resnet",
        min_size=_min_image_size(block_list),
        why=_size_reason(block_list),
        building=True,
    )

    inputs = keras.Input(shape=tuple(input_shape), name="images")
    x = conv3x3(initial_filters, kernel_initializer=kernel_initializer, name="conv_initial")(inputs)
    for step in plan:
        x = ResnetBlock(
            step["channels"],
            strides=step["strides"],
            residual_path=step["residual_path"],
            kernel_initializer=kernel_initializer,
            bn_momentum=bn_momentum,
            fused_batchnorm=fused_batchnorm,
            name=f"stage{step['stage']}_block{step['block']}",
        )(x)
    x = batch_normalization(bn_momentum, fused_batchnorm, name="final_bn")(x)
    x = keras.layers.ReLU(name="final_relu")(x)
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    outputs = keras.layers.Dense(num_classes, name="fc")(x)
    return keras.Model(inputs, outputs, name=name)
