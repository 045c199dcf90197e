package dev.fldtf.core;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The few facts the app needs from a {@code .tflite} file, read straight from its FlatBuffer: the
 * metadata entries (the embedded model card, {@code fld_tf/model_card.py}'s {@code embed}) and the
 * first subgraph's input and output tensors (type, shape, quantization).
 *
 * <p>A hand-written reader of the TFLite schema's {@code Model} table ({@code buffers} = field 4,
 * {@code metadata} = field 6, {@code subgraphs} = field 2) rather than the FlatBuffers runtime: the
 * core has no dependencies, and these few fields are stable parts of the schema. Every offset is
 * bounds-checked, so a truncated or foreign file gives a {@link FormatException}, never garbage.
 */
public final class TfliteModelFile {
  /** The TFLite file identifier at bytes 4..7. */
  public static final String IDENTIFIER = "TFL3";

  /** TensorType names by enum value (tensorflow/lite/schema/schema.fbs), as numpy spells them. */
  private static final String[] TENSOR_TYPES = {
      "float32", "float16", "int32", "uint8", "int64", "string", "bool", "int16", "complex64", "int8",
      "float64", "complex128", "uint64", "resource", "variant", "uint32", "uint16", "int4", "bfloat16"};

  /** A file that is not a readable TFLite FlatBuffer. */
  public static final class FormatException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    FormatException(String message) {
      super(message);
    }
  }

  /** One tensor: element type (numpy spelling, e.g. {@code "uint8"}), shape, per-tensor quantization. */
  public static final class Tensor {
    public final String name;
    public final String type;
    public final int[] shape;
    /** Quantization scale, or 0 when the tensor is not quantized. */
    public final float scale;
    /** Quantization zero point (0 when not quantized). */
    public final long zeroPoint;

    public Tensor(String name, String type, int[] shape, float scale, long zeroPoint) {
      this.name = name;
      this.type = type;
      this.shape = shape.clone();
      this.scale = scale;
      this.zeroPoint = zeroPoint;
    }

    @Override
    public String toString() {
      return name + ": " + type + " " + Arrays.toString(shape)
          + (scale != 0 ? " (scale " + scale + ", zero point " + zeroPoint + ")" : "");
    }
  }

  private final ByteBuffer buf;
  private final String source;
  private final int model;

  private TfliteModelFile(ByteBuffer buffer, String source) {
    this.buf = buffer.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    this.source = source;
    if (buf.limit() < 8) throw error("too short to be a TFLite model (" + buf.limit() + " bytes)");
    byte[] id = new byte[4];
    for (int i = 0; i < 4; i++) id[i] = buf.get(4 + i);
    if (!IDENTIFIER.equals(new String(id, StandardCharsets.ISO_8859_1))) {
      throw error("not a TFLite model (no " + IDENTIFIER + " identifier)");
    }
    this.model = offsetTarget(0);
  }

  /**
   * @param bytes the whole {@code .tflite} file (position 0 = file start)
   * @param source file or asset name, for error messages
   */
  public static TfliteModelFile read(ByteBuffer bytes, String source) {
    return new TfliteModelFile(bytes, source);
  }

  public static TfliteModelFile read(byte[] bytes, String source) {
    return read(ByteBuffer.wrap(bytes), source);
  }

  /** The UTF-8 text of the metadata entry {@code name}, or null when the model has none. */
  public String metadataText(String name) {
    byte[] data = metadata(name);
    return data == null ? null : new String(data, StandardCharsets.UTF_8);
  }

  /** The bytes of the metadata entry {@code name} (its buffer's data), or null when absent. */
  public byte[] metadata(String name) {
    int entries = field(model, 6);
    if (entries == 0) return null;
    int vector = offsetTarget(entries);
    int count = u32(vector);
    for (int i = 0; i < count; i++) {
      int entry = offsetTarget(vector + 4 + 4 * i);
      int nameField = field(entry, 0);
      if (nameField == 0 || !name.equals(string(offsetTarget(nameField)))) continue;
      int bufferField = field(entry, 1);
      return bufferData(bufferField == 0 ? 0 : u32(bufferField));
    }
    return null;
  }

  /** Input tensors of the first subgraph, in order. */
  public Tensor[] inputs() {
    return tensors(1);
  }

  /** Output tensors of the first subgraph, in order. */
  public Tensor[] outputs() {
    return tensors(2);
  }

  private Tensor[] tensors(int ioField) {
    int subgraphs = field(model, 2);
    if (subgraphs == 0 || u32(offsetTarget(subgraphs)) == 0) throw error("has no subgraph");
    int subgraph = offsetTarget(offsetTarget(subgraphs) + 4);
    int[] indices = intVector(field(subgraph, ioField));
    int tensorsField = field(subgraph, 0);
    if (tensorsField == 0) throw error("subgraph 0 has no tensors");
    int tensors = offsetTarget(tensorsField);
    int count = u32(tensors);
    Tensor[] out = new Tensor[indices.length];
    for (int i = 0; i < indices.length; i++) {
      if (indices[i] < 0 || indices[i] >= count) throw error("tensor index " + indices[i] + " out of range");
      out[i] = tensor(offsetTarget(tensors + 4 + 4 * indices[i]));
    }
    return out;
  }

  private Tensor tensor(int table) {
    int[] shape = intVector(field(table, 0));
    int typeField = field(table, 1);
    int typeCode = typeField == 0 ? 0 : byteAt(typeField);
    String type = typeCode >= 0 && typeCode < TENSOR_TYPES.length ? TENSOR_TYPES[typeCode] : "type" + typeCode;
    int nameField = field(table, 3);
    String name = nameField == 0 ? "" : string(offsetTarget(nameField));
    float scale = 0;
    long zeroPoint = 0;
    int quantField = field(table, 4);
    if (quantField != 0) {
      int quant = offsetTarget(quantField);
      int scales = field(quant, 2);
      int zeroPoints = field(quant, 3);
      if (scales != 0) {
        int v = offsetTarget(scales);
        if (u32(v) > 1) throw error("tensor " + name + " is quantized per channel; the core reads one scale");
        if (u32(v) == 1) scale = Float.intBitsToFloat(i32(v + 4));
      }
      if (zeroPoints != 0) {
        int v = offsetTarget(zeroPoints);
        if (u32(v) >= 1) zeroPoint = i64(v + 4);
      }
    }
    return new Tensor(name, type, shape, scale, zeroPoint);
  }

  /** The data of buffer {@code index}: inline, or (models over 2 GB) at {@code offset}/{@code size} in the file. */
  private byte[] bufferData(int index) {
    int buffersField = field(model, 4);
    if (buffersField == 0) throw error("has no buffers, but metadata points at buffer " + index);
    int buffers = offsetTarget(buffersField);
    if (index < 0 || index >= u32(buffers)) throw error("metadata points at missing buffer " + index);
    int buffer = offsetTarget(buffers + 4 + 4 * index);
    int data = field(buffer, 0);
    if (data != 0) {
      int vector = offsetTarget(data);
      return bytes(vector + 4, u32(vector));
    }
    int offsetField = field(buffer, 1);
    int sizeField = field(buffer, 2);
    if (offsetField == 0 || sizeField == 0) return new byte[0];
    long offset = i64(offsetField);
    long size = i64(sizeField);
    if (offset < 0 || size < 0 || offset + size > buf.limit()) throw error("buffer " + index + " lies outside the file");
    return bytes((int) offset, (int) size);
  }

  // --- FlatBuffers primitives (little-endian; offsets are unsigned 32-bit, relative to where they are stored).

  /** Position of field {@code id} of the table at {@code table}, or 0 when absent. */
  private int field(int table, int id) {
    int vtable = table - i32(table);
    check(vtable, 4);
    int vtableSize = u16(vtable);
    int slot = 4 + 2 * id;
    if (slot + 2 > vtableSize) return 0;
    int offset = u16(vtable + slot);
    return offset == 0 ? 0 : check(table + offset, 1);
  }

  private int offsetTarget(int at) {
    long target = at + (long) u32(at);
    if (target >= buf.limit()) throw error("offset at byte " + at + " points outside the file");
    return (int) target;
  }

  private String string(int at) {
    return new String(bytes(at + 4, u32(at)), StandardCharsets.UTF_8);
  }

  private int[] intVector(int fieldPos) {
    if (fieldPos == 0) return new int[0];
    int v = offsetTarget(fieldPos);
    int n = u32(v);
    check(v + 4, 4L * n);
    int[] out = new int[n];
    for (int i = 0; i < n; i++) out[i] = i32(v + 4 + 4 * i);
    return out;
  }

  private byte[] bytes(int at, long length) {
    check(at, length);
    byte[] out = new byte[(int) length];
    for (int i = 0; i < out.length; i++) out[i] = buf.get(at + i);
    return out;
  }

  private int byteAt(int at) {
    return buf.get(check(at, 1));
  }

  private int u16(int at) {
    return buf.getShort(check(at, 2)) & 0xFFFF;
  }

  private int i32(int at) {
    return buf.getInt(check(at, 4));
  }

  /** An unsigned 32-bit value; larger than any file this reader accepts counts as corrupt. */
  private int u32(int at) {
    int v = i32(at);
    if (v < 0) throw error("value at byte " + at + " is out of range");
    return v;
  }

  private long i64(int at) {
    return buf.getLong(check(at, 8));
  }

  private int check(int at, long length) {
    if (at < 0 || length < 0 || at + length > buf.limit()) {
      throw error("is truncated or corrupt (read of " + length + " bytes at " + at + ", file has " + buf.limit() + ")");
    }
    return at;
  }

  private FormatException error(String message) {
    return new FormatException(source + ": " + message);
  }
}
