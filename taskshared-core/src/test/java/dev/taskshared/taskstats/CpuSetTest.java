package dev.taskshared.taskstats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CpuSetTest {
    /** A machine with 64 possible CPUs, whatever this one has. */
    private static final CpuSet SIXTY_FOUR = sixtyFour();

    private static CpuSet sixtyFour() {
        java.util.BitSet b = new java.util.BitSet();
        b.set(0, 64);
        return CpuSet.ofBits(b);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "0|0",
            "0-3,8|0-3,8",
            "  0-3 , 8  |0-3,8",
            "8,0-3|0-3,8",
            "1,2,3,5|1-3,5",
            "0-1,1-2|0-2",
            "63|63",
            "3-3|3",
    })
    void parsesAndFormatsTheKernelListFormat(String list, String formatted) {
        CpuSet set = CpuSet.parse(list, SIXTY_FOUR);
        assertThat(set.toString()).isEqualTo(formatted);
        assertThat(CpuSet.parse(set.toString(), SIXTY_FOUR)).isEqualTo(set);
    }

    @Test
    void membershipAndIteration() {
        CpuSet set = CpuSet.parse("0-2,9", SIXTY_FOUR);
        assertThat(set.contains(1)).isTrue();
        assertThat(set.contains(3)).isFalse();
        assertThat(set.contains(-1)).isFalse();
        assertThat(set.size()).isEqualTo(4);
        assertThat(set.stream().toArray()).containsExactly(0, 1, 2, 9);
        assertThat(set).containsExactly(0, 1, 2, 9);
        assertThat(set.union(CpuSet.parse("3", SIXTY_FOUR)).toString()).isEqualTo("0-3,9");
        assertThat(set.intersection(CpuSet.parse("1-9", SIXTY_FOUR)).toString()).isEqualTo("1-2,9");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "1-|cpu list '1-': range '1-' has no end",
            "-1|cpu list '-1': range '-1' has no start",
            "a|cpu list 'a': 'a' is not a CPU number",
            "1-x|cpu list '1-x': 'x' in '1-x' is not a CPU number",
            "3-1|cpu list '3-1': range end 1 is below start 3",
            "0,,1|cpu list '0,,1': entry 2 is empty",
            "0,|cpu list '0,': entry 2 is empty",
            "64|cpu list '64': CPU 64 is not possible on this machine (possible: 0-63)",
            "60-70|cpu list '60-70': CPU 64 is not possible on this machine (possible: 0-63)",
            "0-3:2/4|cpu list '0-3:2/4': '3:2/4' in '0-3:2/4' is not a CPU number",
    })
    void malformedListsSayWhatIsWrong(String list, String message) {
        assertThatThrownBy(() -> CpuSet.parse(list, SIXTY_FOUR))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }

    @Test
    void blankListIsAnError() {
        assertThatThrownBy(() -> CpuSet.parse("  ", SIXTY_FOUR)).hasMessage("cpu list '  ': no CPUs");
    }

    @Test
    void possibleComesFromSysfsAndBoundsOfAndParse() {
        CpuSet possible = CpuSet.possible();
        assertThat(possible.isEmpty()).isFalse();
        assertThat(CpuSet.all()).isEqualTo(possible);
        assertThat(possible.contains(0)).isTrue();
        int beyond = possible.stream().max().getAsInt() + 1;
        assertThatThrownBy(() -> CpuSet.of(beyond)).hasMessageContaining("CPU " + beyond + " is not possible");
        assertThatThrownBy(() -> CpuSet.parse(Integer.toString(beyond)))
                .hasMessageContaining("CPU " + beyond + " is not possible on this machine (possible: " + possible + ")");
        assertThat(CpuSet.of(0).toString()).isEqualTo("0");
    }
}
