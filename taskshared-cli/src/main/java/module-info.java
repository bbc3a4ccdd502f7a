/**
 * The {@code taskshared} command. Reads the core's internal packages it needs (host publisher
 * installation, other processes' regions, the sampler's budget, errno) through the core's
 * qualified exports; picocli and Jackson reach the commands and reports by reflection.
 */
module dev.taskshared.cli {
    requires dev.taskshared.core;
    requires dev.taskshared.bench;
    requires info.picocli;
    requires com.fasterxml.jackson.databind;
    requires HdrHistogram; // no Automatic-Module-Name in 2.2.2: the name is derived from the jar's
    requires java.management;

    // picocli sets the annotated options and reads the commands' fields; Jackson serialises the demo's report records.
    opens dev.taskshared.cli to info.picocli, com.fasterxml.jackson.databind;
}
