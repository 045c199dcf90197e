"""What a `.tflite` file holds, read from its flatbuffer: ops, tensor types, metadata entries.

Parsed with LiteRT's generated schema (`ai_edge_litert.schema_py_generated`), the public reader of
the TFLite format, so no interpreter (and no private `Interpreter._get_ops_details`) is needed. Ops
are those of the main subgraph in file order, which is the order the interpreter runs them without
delegates, and their indices are the interpreter's node indices.
"""
from __future__ import annotations

import dataclasses
from typing import Optional, Tuple

import flatbuffers
from ai_edge_litert import schema_py_generated as schema

_TYPE_NAMES = {v: k.lower() for k, v in vars(schema.TensorType).items() if not k.startswith("_")}
_OP_NAMES = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
FLOAT_TYPES = ("float32", "float16", "float64", "bfloat16")


@dataclasses.dataclass(frozen=True)
class Tensor:
    index: int
    name: str
    dtype: str                      # numpy-style name: "float32", "int8", "uint8", ...
    scale: Optional[float] = None   # per-tensor quantisation step (the first, if per-channel)
    zero_point: Optional[int] = None


@dataclasses.dataclass(frozen=True)
class Op:
    index: int
    name: str                       # builtin name, e.g. "CONV_2D", or the custom op's code
    inputs: Tuple[int, ...]         # tensor indices; optional inputs left out (-1 in the file)
    outputs: Tuple[int, ...]


@dataclasses.dataclass(frozen=True)
class Graph:
    ops: Tuple[Op, ...]
    tensors: Tuple[Tensor, ...]
    inputs: Tuple[int, ...]
    outputs: Tuple[int, ...]

    def producer(self, tensor: int) -> Optional[Op]:
        """The op writing `tensor`, or None for graph inputs and constants."""
        return next((op for op in self.ops if tensor in op.outputs), None)


def _root(model: bytes, source: str = "model") -> schema.Model:
    buf = bytearray(model)
    if len(buf) < 8 or not schema.Model.ModelBufferHasIdentifier(buf, 0):
        raise ValueError(f"{source}: not a TFLite flatbuffer (no TFL3 identifier)")
    return schema.Model.GetRootAs(buf, 0)


def _tensor(index: int, t) -> Tensor:
    q = t.Quantization()
    scale = zero_point = None
    if q is not None and q.ScaleLength():
        scale, zero_point = float(q.Scale(0)), int(q.ZeroPoint(0)) if q.ZeroPointLength() else 0
    name = t.Name().decode("utf-8", "replace") if t.Name() else ""
    return Tensor(index, name, _TYPE_NAMES.get(t.Type(), str(t.Type())), scale, zero_point)


def read_graph(model: bytes, source: str = "model") -> Graph:
    """The main subgraph of `model` (`.tflite` bytes).

    Raises:
      ValueError: not a TFLite flatbuffer, or it has no subgraph.
    """
    root = _root(model, source)
    if root.SubgraphsLength() < 1:
        raise ValueError(f"{source}: the model has no subgraph")
    graph = root.Subgraphs(0)
    codes = [root.OperatorCodes(i) for i in range(root.OperatorCodesLength())]
    ops = []
    for i in range(graph.OperatorsLength()):
        op = graph.Operators(i)
        code = codes[op.OpcodeIndex()]
        # Codes above 127 live in BuiltinCode; the deprecated int8 field holds the rest (schema rule).
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        name = (code.CustomCode() or b"CUSTOM").decode() if builtin == schema.BuiltinOperator.CUSTOM \
            else _OP_NAMES.get(builtin, str(builtin))
        ops.append(Op(i, name, tuple(int(v) for v in op.InputsAsNumpy() if v >= 0) if op.InputsLength() else (),
                      tuple(int(v) for v in op.OutputsAsNumpy() if v >= 0) if op.OutputsLength() else ()))
    tensors = tuple(_tensor(i, graph.Tensors(i)) for i in range(graph.TensorsLength()))
    inputs = tuple(int(v) for v in graph.InputsAsNumpy()) if graph.InputsLength() else ()
    outputs = tuple(int(v) for v in graph.OutputsAsNumpy()) if graph.OutputsLength() else ()
    return Graph(tuple(ops), tensors, inputs, outputs)


def read_metadata(model: bytes, name: str, source: str = "model") -> Optional[bytes]:
    """The bytes of the metadata entry `name`, or None when the model has none."""
    root = _root(model, source)
    for i in range(root.MetadataLength()):
        entry = root.Metadata(i)
        if _text(entry.Name()) == name:
            return bytes(root.Buffers(entry.Buffer()).DataAsNumpy())
    return None


def write_metadata(model: bytes, name: str, data: bytes) -> bytes:
    """`model` with its metadata entry `name` set to `data` (replaced if it was there)."""
    obj = schema.ModelT.InitFromObj(_root(model))
    obj.buffers = obj.buffers or []
    obj.metadata = obj.metadata or []
    entry = next((m for m in obj.metadata if _text(m.name) == name), None)
    buffer = schema.BufferT()
    buffer.data = list(data)
    if entry is None:
        obj.buffers.append(buffer)
        entry = schema.MetadataT()
        entry.name = name
        entry.buffer = len(obj.buffers) - 1
        obj.metadata.append(entry)
    else:
        obj.buffers[entry.buffer] = buffer
    builder = flatbuffers.Builder(len(model) + len(data) + 4096)
    builder.Finish(obj.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def without_metadata(model: bytes, name: str) -> bytes:
    """`model` with the metadata entry `name` dropped (its buffer stays, empty of references)."""
    obj = schema.ModelT.InitFromObj(_root(model))
    obj.metadata = [m for m in (obj.metadata or []) if _text(m.name) != name]
    builder = flatbuffers.Builder(len(model) + 1024)
    builder.Finish(obj.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def _text(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)

