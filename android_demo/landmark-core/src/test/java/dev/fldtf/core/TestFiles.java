package dev.fldtf.core;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;

/** Test resources from the classpath (Gradle and run_tests.sh both put src/test/resources on it), and the shipped models. */
final class TestFiles {
  /** System property naming the shipped models' folder (run_tests.sh and Gradle set it). */
  static final String MODELS_PROPERTY = "fldtf.models.dir";

  private TestFiles() {}

  static String resource(String name) {
    try (InputStream in = TestFiles.class.getResourceAsStream("/" + name)) {
      if (in == null) throw new IllegalStateException("test resource /" + name + " is not on the classpath");
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** An older hand-written mtfl5 card (no quantization, contours or subset5 keys). */
  static ModelCard sampleCard() {
    return ModelCard.parse(resource("cards/mtfl5_int8.json"), "cards/mtfl5_int8.json");
  }

  /** The 68-point card written by tools/make_reference.py from fld_tf.schemes. */
  static ModelCard ibug68Card() {
    return ModelCard.parse(resource("cards/ibug68_int8.json"), "cards/ibug68_int8.json");
  }

  /** The repo's shipped models folder: the property, else fld_tf/models or models above this module. */
  static File modelsDir() {
    String property = System.getProperty(MODELS_PROPERTY);
    if (property != null) return new File(property);
    for (String candidate : new String[] {"../../fld_tf/models", "../../models"}) {
      File dir = new File(candidate);
      if (dir.isDirectory()) return dir;
    }
    throw new IllegalStateException("no shipped models folder: set -D" + MODELS_PROPERTY + "=DIR");
  }

  /** The shipped {@code .tflite} files, sorted; fails when there are none. */
  static File[] shippedModels() {
    File dir = modelsDir();
    File[] files = dir.listFiles((d, n) -> n.endsWith(".tflite"));
    if (files == null || files.length == 0) throw new IllegalStateException("no .tflite in " + dir.getAbsolutePath());
    Arrays.sort(files);
    return files;
  }

  /** Points of a shipped model, from the scheme its file is named after ({@code mnv2-a050-<scheme>-96.*}). */
  /** The input size a shipped model's name ends in ({@code mnv2-a050-mtfl5-112.int8.tflite}: 112). */
  static int shippedSize(File model) {
    String stem = model.getName().substring(0, model.getName().indexOf('.'));
    return Integer.parseInt(stem.substring(stem.lastIndexOf('-') + 1));
  }

  static int shippedPoints(File model) {
    String name = model.getName();
    if (name.contains("-mtfl5-")) return 5;
    if (name.contains("-ibug68-")) return 68;
    throw new IllegalStateException(name + ": no known scheme (mtfl5, ibug68) in the name");
  }

  static byte[] bytes(File file) {
    try {
      return Files.readAllBytes(file.toPath());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String text(File file) {
    return new String(bytes(file), StandardCharsets.UTF_8);
  }

  /** {@code model.tflite} -> {@code model.json}. */
  static File sidecar(File tflite) {
    return new File(tflite.getParentFile(), tflite.getName().replaceAll("\\.tflite$", ".json"));
  }
}
