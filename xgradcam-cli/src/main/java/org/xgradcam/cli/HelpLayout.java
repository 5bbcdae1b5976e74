package org.xgradcam.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Help a person can read: every command's options in sections (input, model, what to explain,
 * methods, output, detectors...), in the order they are declared, a short synopsis, lines as wide
 * as the terminal. Parsing is untouched: the sections are drawn from the options by name.
 */
final class HelpLayout {
    private HelpLayout() {}

    /** Section headings and the options under each; an option named in none goes under "Other". */
    private static final Map<String, List<String>> SECTIONS = new LinkedHashMap<>();

    static {
        SECTIONS.put("Input", List.of("--image-path", "--images", "--folder", "--input-tensor", "--allow-damaged", "--boxes",
                "--limit"));
        SECTIONS.put("Model", List.of("--model", "--models", "--reference", "--labels", "--models-dir", "--use-cuda",
                "--threads", "--cache-dir"));
        SECTIONS.put("Preprocessing", List.of("--preprocessing", "--input-size", "--resize", "--interpolation", "--scale", "--mean", "--std",
                "--bgr"));
        SECTIONS.put("What to explain", List.of("--target-index", "--top-k", "--step", "--layer", "--reference-layer", "--token-grid",
                "--prefix-tokens"));
        SECTIONS.put("Methods", List.of("--method", "--postprocess", "--eigen-smooth", "--aug-smooth", "--samples",
                "--noise-std", "--seed", "--batch-size", "--metrics", "--steps", "--threshold"));
        SECTIONS.put("Detectors", List.of("--score-threshold", "--max-detections", "--box", "--head-layout", "--renormalize"));
        SECTIONS.put("Output", List.of("--output-dir", "--json", "--save-raw", "--no-pictures", "--no-figure", "--colormap",
                "--overlay", "--overwrite", "--verbose", "--quiet"));
        SECTIONS.put("Server", List.of("--host", "--port", "--allow-host", "--allow-origin", "--max-upload-mb"));
        SECTIONS.put("Benchmark", List.of("--iterations", "--warmup"));
        SECTIONS.put("Help", List.of("--help", "--version"));
    }

    /** Installs the layout on a command and all its subcommands. */
    static void install(CommandLine cl) {
        cl.setUsageHelpAutoWidth(true);
        cl.setUsageHelpLongOptionsMaxWidth(28);
        cl.getCommandSpec().usageMessage().abbreviateSynopsis(true);
        cl.getHelpSectionMap().put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_OPTION_LIST, HelpLayout::options);
        for (CommandLine sub : cl.getSubcommands().values()) {
            if (sub != cl) {
                install(sub);
            }
        }
    }

    static String section(OptionSpec o) {
        for (Map.Entry<String, List<String>> e : SECTIONS.entrySet()) {
            for (String name : o.names()) {
                if (e.getValue().contains(name)) {
                    return e.getKey();
                }
            }
        }
        return "Other";
    }

    private static int rank(String section, OptionSpec o) {
        List<String> names = SECTIONS.getOrDefault(section, List.of());
        for (String n : o.names()) {
            int i = names.indexOf(n);
            if (i >= 0) {
                return i;
            }
        }
        return names.size();
    }

    private static String options(CommandLine.Help help) {
        Map<String, List<OptionSpec>> grouped = new LinkedHashMap<>();
        SECTIONS.keySet().forEach(k -> grouped.put(k, new ArrayList<>()));
        grouped.put("Other", new ArrayList<>());
        for (OptionSpec o : help.commandSpec().options()) {
            if (!o.hidden()) {
                grouped.get(section(o)).add(o);
            }
        }
        // within a section, the order of SECTIONS' names (a mixin's options are declared first)
        grouped.forEach((k, list) -> list.sort(java.util.Comparator.comparingInt(o -> rank(k, o))));
        // the help options last, whatever section order says
        List<OptionSpec> helpOptions = grouped.remove("Help");
        grouped.put("Help", helpOptions);
        StringBuilder out = new StringBuilder();
        for (Map.Entry<String, List<OptionSpec>> e : grouped.entrySet()) {
            if (e.getValue().isEmpty()) {
                continue;
            }
            out.append(String.format("%n%s:%n", e.getKey()));
            out.append(help.optionListExcludingGroups(e.getValue(), help.createDefaultLayout(), null,
                    help.parameterLabelRenderer()));
        }
        return out.toString();
    }
}
