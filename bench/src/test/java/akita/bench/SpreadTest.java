package akita.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Medians and ranges over repetitions. */
class SpreadTest {

  /** Verifies the median of odd and even counts, and the range. */
  @Test
  void medianAndRange() {
    assertEquals(new Spread(3, 1, 9), Spread.of(List.of(9.0, 1.0, 3.0)));
    assertEquals(new Spread(2.5, 1, 4), Spread.of(List.of(4.0, 1.0, 2.0, 3.0)));
    assertEquals(new Spread(7, 7, 7), Spread.of(List.of(7.0)));
  }
}
