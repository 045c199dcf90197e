package dev.fldtf.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.Test;

public class JsonTest {
  @Test
  public void parsesNestedValues() {
    Map<String, Object> obj = Json.object(Json.parse(
        " {\"a\": [1, -2.5, 3e2, 0], \"b\": {\"c\": true, \"d\": null}, \"e\": \"x\\\"\\u00e9\\n\"} "), "");
    assertEquals(Arrays.asList(1.0, -2.5, 300.0, 0.0), obj.get("a"));
    Map<String, Object> b = Json.object(obj.get("b"), "b");
    assertEquals(Boolean.TRUE, b.get("c"));
    assertNull(b.get("d"));
    assertTrue(b.containsKey("d"));
    assertEquals("x\"\u00e9\n", obj.get("e"));
    assertEquals(Arrays.asList("a", "b", "e"), List.copyOf(obj.keySet())); // order kept
  }

  @Test
  public void acceptsPythonNonFiniteNumbers() {
    List<Object> list = Json.array(Json.parse("[NaN, Infinity, -Infinity]"), "");
    assertTrue(((Double) list.get(0)).isNaN());
    assertEquals(Double.POSITIVE_INFINITY, list.get(1));
    assertEquals(Double.NEGATIVE_INFINITY, list.get(2));
  }

  @Test
  public void float32ValuesRoundTripThroughDouble() {
    // Python writes float32 outputs as the shortest double repr; (float) of it is the same float32.
    float f = 0.1f;
    assertEquals(f, (float) Json.number(Json.parse(Double.toString(f)), ""), 0f);
  }

  @Test
  public void syntaxErrorsNameLineAndColumn() {
    assertError("{\"a\": 1,}", "line 1, column 9", "expected a string key");
    assertError("{\"a\": 1}\n x", "line 2, column 2", "after the end of the document");
    assertError("[1 2]", "line 1, column 4", "expected ',' or ']'");
    assertError("{\"a\": 1, \"a\": 2}", "line 1, column 10", "duplicate key \"a\"");
    assertError("\"abc", "", "unterminated string");
    assertError("[01]", "", "leading zeros");
    assertError("{'a': 1}", "", "expected a string key");
    assertError("[1.]", "", "digit after '.'");
    assertError("\"a\tb\"", "", "control character U+0009");
    assertError("[tru]", "", "expected a value");
    assertError("", "", "unexpected end of input");
  }

  @Test
  public void typedAccessNamesThePath() {
    Object v = Json.parse("{\"shape\": [1, 2.5]}");
    try {
      Json.integer(Json.array(Json.object(v, "card").get("shape"), "input.shape").get(1), "input.shape[1]");
      fail();
    } catch (Json.JsonException e) {
      assertEquals("input.shape[1] must be a whole number, got 2.5", e.getMessage());
    }
    try {
      Json.string(Json.parse("3"), "name");
      fail();
    } catch (Json.JsonException e) {
      assertEquals("name must be a string, got the number 3.0", e.getMessage());
    }
  }

  private static void assertError(String text, String where, String what) {
    try {
      Json.parse(text);
      fail("no error for " + text);
    } catch (Json.JsonException e) {
      assertTrue(e.getMessage(), e.getMessage().contains(where));
      assertTrue(e.getMessage(), e.getMessage().contains(what));
    }
  }
}
