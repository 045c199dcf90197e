package dev.fldtf.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small, strict JSON parser for model cards and golden vectors.
 *
 * <p>Android has {@code org.json}, but the plain-JVM tests do not, and a card is small. Values map
 * to {@code Map<String, Object>} (insertion order kept), {@code List<Object>}, {@code String},
 * {@code Double}, {@code Boolean} and {@code null}. Strict: no comments, no trailing commas, no
 * single quotes, no duplicate keys, nothing after the top-level value. One deliberate extension:
 * the bare tokens {@code NaN}, {@code Infinity} and {@code -Infinity} are accepted because Python's
 * {@code json.dump} writes them for non-finite metrics, and a NaN metric must not make a card
 * unreadable. Errors name the line and column.
 */
public final class Json {
  private static final int MAX_DEPTH = 64;

  /** A syntax error (with line and column) or a value of the wrong type (with its key path). */
  public static final class JsonException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public JsonException(String message) {
      super(message);
    }
  }

  private final String text;
  private int pos;

  private Json(String text) {
    this.text = text;
  }

  /** Parses one JSON document. */
  public static Object parse(String text) {
    Json parser = new Json(text);
    parser.skipSpace();
    Object value = parser.value(0);
    parser.skipSpace();
    if (parser.pos < text.length()) {
      throw parser.error("unexpected " + parser.describe() + " after the end of the document");
    }
    return value;
  }

  // ---- typed access, with the key path in every error ----

  /** {@code value} as an object, or an error naming {@code path}. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> object(Object value, String path) {
    if (value instanceof Map) return (Map<String, Object>) value;
    throw typeError(path, "an object", value);
  }

  /** {@code value} as an array, or an error naming {@code path}. */
  @SuppressWarnings("unchecked")
  public static List<Object> array(Object value, String path) {
    if (value instanceof List) return (List<Object>) value;
    throw typeError(path, "an array", value);
  }

  public static String string(Object value, String path) {
    if (value instanceof String) return (String) value;
    throw typeError(path, "a string", value);
  }

  public static boolean bool(Object value, String path) {
    if (value instanceof Boolean) return (Boolean) value;
    throw typeError(path, "true or false", value);
  }

  public static double number(Object value, String path) {
    if (value instanceof Double) return (Double) value;
    throw typeError(path, "a number", value);
  }

  /** A number that must be a whole value (as JSON has one number type). */
  public static int integer(Object value, String path) {
    double d = number(value, path);
    if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
      throw new JsonException(path + " must be a whole number, got " + d);
    }
    return (int) d;
  }

  /** The member {@code key} of {@code obj}, or an error naming the missing {@code path.key}. */
  public static Object required(Map<String, Object> obj, String key, String path) {
    if (!obj.containsKey(key)) {
      throw new JsonException("missing key " + join(path, key));
    }
    return obj.get(key);
  }

  public static String join(String path, String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  private static JsonException typeError(String path, String expected, Object got) {
    return new JsonException(path + " must be " + expected + ", got " + kind(got));
  }

  private static String kind(Object v) {
    if (v == null) return "null";
    if (v instanceof Map) return "an object";
    if (v instanceof List) return "an array";
    if (v instanceof String) return "the string \"" + v + "\"";
    if (v instanceof Double) return "the number " + v;
    return String.valueOf(v);
  }

  // ---- the parser ----

  private Object value(int depth) {
    if (depth > MAX_DEPTH) throw error("nesting deeper than " + MAX_DEPTH);
    if (pos >= text.length()) throw error("unexpected end of input, expected a value");
    char c = text.charAt(pos);
    switch (c) {
      case '{':
        return object(depth);
      case '[':
        return array(depth);
      case '"':
        return string();
      case 't':
        return literal("true", Boolean.TRUE);
      case 'f':
        return literal("false", Boolean.FALSE);
      case 'n':
        return literal("null", null);
      case 'N':
        return literal("NaN", Double.NaN);
      case 'I':
        return literal("Infinity", Double.POSITIVE_INFINITY);
      default:
        if (c == '-' || (c >= '0' && c <= '9')) return number();
        throw error("unexpected " + describe() + ", expected a value");
    }
  }

  private Map<String, Object> object(int depth) {
    Map<String, Object> map = new LinkedHashMap<>();
    pos++; // '{'
    skipSpace();
    if (peek() == '}') {
      pos++;
      return Collections.unmodifiableMap(map);
    }
    while (true) {
      skipSpace();
      if (peek() != '"') throw error("expected a string key, found " + describe());
      int keyPos = pos;
      String key = string();
      if (map.containsKey(key)) {
        pos = keyPos;
        throw error("duplicate key \"" + key + "\"");
      }
      skipSpace();
      expect(':', "after object key \"" + key + "\"");
      skipSpace();
      map.put(key, value(depth + 1));
      skipSpace();
      char c = peek();
      pos++;
      if (c == '}') return Collections.unmodifiableMap(map);
      if (c != ',') {
        pos--;
        throw error("expected ',' or '}' after the value of \"" + key + "\", found " + describe());
      }
    }
  }

  private List<Object> array(int depth) {
    List<Object> list = new ArrayList<>();
    pos++; // '['
    skipSpace();
    if (peek() == ']') {
      pos++;
      return Collections.unmodifiableList(list);
    }
    while (true) {
      skipSpace();
      list.add(value(depth + 1));
      skipSpace();
      char c = peek();
      pos++;
      if (c == ']') return Collections.unmodifiableList(list);
      if (c != ',') {
        pos--;
        throw error("expected ',' or ']' in array, found " + describe());
      }
    }
  }

  private String string() {
    pos++; // opening quote
    StringBuilder sb = new StringBuilder();
    while (true) {
      if (pos >= text.length()) throw error("unterminated string");
      char c = text.charAt(pos++);
      if (c == '"') return sb.toString();
      if (c < 0x20) {
        pos--;
        throw error("control character U+" + String.format("%04X", (int) c) + " inside a string");
      }
      if (c != '\\') {
        sb.append(c);
        continue;
      }
      if (pos >= text.length()) throw error("unterminated escape");
      char e = text.charAt(pos++);
      switch (e) {
        case '"': sb.append('"'); break;
        case '\\': sb.append('\\'); break;
        case '/': sb.append('/'); break;
        case 'b': sb.append('\b'); break;
        case 'f': sb.append('\f'); break;
        case 'n': sb.append('\n'); break;
        case 'r': sb.append('\r'); break;
        case 't': sb.append('\t'); break;
        case 'u': sb.append(unicodeEscape()); break;
        default:
          pos--;
          throw error("invalid escape '\\" + e + "'");
      }
    }
  }

  private char unicodeEscape() {
    if (pos + 4 > text.length()) throw error("truncated \\u escape");
    int v = 0;
    for (int i = 0; i < 4; i++) {
      int d = Character.digit(text.charAt(pos), 16);
      if (d < 0) throw error("invalid hex digit in \\u escape");
      v = v * 16 + d;
      pos++;
    }
    return (char) v;
  }

  private Double number() {
    int start = pos;
    if (peek() == '-') {
      pos++;
      if (text.startsWith("Infinity", pos)) {
        pos += "Infinity".length();
        return Double.NEGATIVE_INFINITY;
      }
    }
    if (peek() == '0') {
      pos++;
    } else if (isDigit(peek())) {
      while (isDigit(peek())) pos++;
    } else {
      throw error("expected a digit, found " + describe());
    }
    if (peek() == '.') {
      pos++;
      if (!isDigit(peek())) throw error("expected a digit after '.', found " + describe());
      while (isDigit(peek())) pos++;
    }
    if (peek() == 'e' || peek() == 'E') {
      pos++;
      if (peek() == '+' || peek() == '-') pos++;
      if (!isDigit(peek())) throw error("expected a digit in the exponent, found " + describe());
      while (isDigit(peek())) pos++;
    }
    if (isDigit(peek())) throw error("leading zeros are not allowed in numbers");
    return Double.parseDouble(text.substring(start, pos));
  }

  private Object literal(String word, Object value) {
    if (!text.startsWith(word, pos)) throw error("unexpected " + describe() + ", expected a value");
    pos += word.length();
    return value;
  }

  private void expect(char c, String where) {
    if (peek() != c) throw error("expected '" + c + "' " + where + ", found " + describe());
    pos++;
  }

  private char peek() {
    return pos < text.length() ? text.charAt(pos) : '\0';
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private void skipSpace() {
    while (pos < text.length()) {
      char c = text.charAt(pos);
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
      pos++;
    }
  }

  private String describe() {
    if (pos >= text.length()) return "end of input";
    char c = text.charAt(pos);
    return c < 0x20 ? String.format("U+%04X", (int) c) : "'" + c + "'";
  }

  private JsonException error(String message) {
    int line = 1;
    int column = 1;
    for (int i = 0; i < Math.min(pos, text.length()); i++) {
      if (text.charAt(i) == '\n') {
        line++;
        column = 1;
      } else {
        column++;
      }
    }
    return new JsonException("JSON error at line " + line + ", column " + column + ": " + message);
  }
}
