package io.votequorum.corosync;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.jna.Structure;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JNA structures against the installed corosync/votequorum.h: gcc compiles a program that
 * prints each structure's size and each field's offset, and the Java layout must match.
 */
class VotequorumLayoutTest {

    private static final String PROGRAM = """
            #include <stdio.h>
            #include <stddef.h>
            #include <corosync/votequorum.h>
            #define SIZE(t) printf("sizeof %s %zu\\n", #t, sizeof(t))
            #define OFF(t, f) printf("offset %s.%s %zu\\n", #t, #f, offsetof(t, f))
            int main(void) {
                SIZE(struct votequorum_info);
                OFF(struct votequorum_info, node_id); OFF(struct votequorum_info, node_state);
                OFF(struct votequorum_info, node_votes); OFF(struct votequorum_info, node_expected_votes);
                OFF(struct votequorum_info, highest_expected); OFF(struct votequorum_info, total_votes);
                OFF(struct votequorum_info, quorum); OFF(struct votequorum_info, flags);
                OFF(struct votequorum_info, qdevice_votes); OFF(struct votequorum_info, qdevice_name);
                SIZE(votequorum_node_t);
                OFF(votequorum_node_t, nodeid); OFF(votequorum_node_t, state);
                SIZE(votequorum_ring_id_t);
                OFF(votequorum_ring_id_t, nodeid); OFF(votequorum_ring_id_t, seq);
                SIZE(votequorum_callbacks_t);
                printf("value CS_OK %d\\n", CS_OK);
                printf("value CS_ERR_TRY_AGAIN %d\\n", CS_ERR_TRY_AGAIN);
                printf("value CS_ERR_SECURITY %d\\n", CS_ERR_SECURITY);
                printf("value VOTEQUORUM_QDEVICE_MAX_NAME_LEN %d\\n", VOTEQUORUM_QDEVICE_MAX_NAME_LEN);
                printf("value VOTEQUORUM_INFO_QDEVICE_MASTER_WINS %d\\n", VOTEQUORUM_INFO_QDEVICE_MASTER_WINS);
                printf("value VOTEQUORUM_NODESTATE_LEAVING %d\\n", VOTEQUORUM_NODESTATE_LEAVING);
                printf("value CS_DISPATCH_ONE_NONBLOCKING %d\\n", CS_DISPATCH_ONE_NONBLOCKING);
                return 0;
            }
            """;

    private static final Map<String, Long> HEADER = new HashMap<>();

    @BeforeAll
    static void compileAgainstTheHeader(@TempDir Path dir) throws Exception {
        Path source = dir.resolve("layout.c");
        Files.writeString(source, PROGRAM);
        Path binary = dir.resolve("layout");
        run(dir, "gcc", "-o", binary.toString(), source.toString());
        for (String line : run(dir, binary.toString()).lines().toList()) {
            int last = line.lastIndexOf(' ');
            HEADER.put(line.substring(0, last), Long.parseLong(line.substring(last + 1)));
        }
    }

    private static String run(Path dir, String... command) throws Exception {
        Process process = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue())
                .as("%s: %s (install gcc and libvotequorum-dev)", String.join(" ", command), output)
                .isZero();
        return output;
    }

    private static long header(String key) {
        assertThat(HEADER).containsKey(key);
        return HEADER.get(key);
    }

    @Test
    void votequorumInfo() {
        LibVotequorum.votequorum_info info = new LibVotequorum.votequorum_info();
        assertThat((long) info.size()).isEqualTo(header("sizeof struct votequorum_info"));
        for (String field : LibVotequorum.votequorum_info
                .class
                .getAnnotation(Structure.FieldOrder.class)
                .value()) {
            assertThat((long) info.offsetOf(field))
                    .as(field)
                    .isEqualTo(header("offset struct votequorum_info." + field));
        }
    }

    @Test
    void nodeAndRingId() {
        LibVotequorum.votequorum_node_t node = new LibVotequorum.votequorum_node_t();
        assertThat((long) node.size()).isEqualTo(header("sizeof votequorum_node_t"));
        assertThat((long) node.offsetOf("state")).isEqualTo(header("offset votequorum_node_t.state"));
        LibVotequorum.votequorum_ring_id_t ring = new LibVotequorum.votequorum_ring_id_t();
        assertThat((long) ring.size()).isEqualTo(header("sizeof votequorum_ring_id_t"));
        assertThat((long) ring.offsetOf("seq")).isEqualTo(header("offset votequorum_ring_id_t.seq"));
    }

    @Test
    void callbacksAndConstants() {
        assertThat((long) new LibVotequorum.votequorum_callbacks_t().size())
                .isEqualTo(header("sizeof votequorum_callbacks_t"));
        assertThat((long) CsError.CS_OK.code()).isEqualTo(header("value CS_OK"));
        assertThat((long) CsError.CS_ERR_TRY_AGAIN.code()).isEqualTo(header("value CS_ERR_TRY_AGAIN"));
        assertThat((long) CsError.CS_ERR_SECURITY.code()).isEqualTo(header("value CS_ERR_SECURITY"));
        assertThat((long) LibVotequorum.VOTEQUORUM_QDEVICE_MAX_NAME_LEN)
                .isEqualTo(header("value VOTEQUORUM_QDEVICE_MAX_NAME_LEN"));
        assertThat((long) VotequorumFlag.QDEVICE_MASTER_WINS.bit())
                .isEqualTo(header("value VOTEQUORUM_INFO_QDEVICE_MASTER_WINS"));
        assertThat((long) NodeState.LEAVING.code()).isEqualTo(header("value VOTEQUORUM_NODESTATE_LEAVING"));
        assertThat((long) DispatchMode.ONE_NONBLOCKING.code).isEqualTo(header("value CS_DISPATCH_ONE_NONBLOCKING"));
    }
}
