package org.xgradcam.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every Java snippet of README.md and docs/*.md compiles against the library, as a user's code
 * would: its import lines on top, the rest as the body of a method (or as it is, when it declares
 * a class). Docs that rot fail the build.
 */
class DocSnippetsTest {
    @TempDir
    Path tmp;

    record Snippet(Path file, int line, String code) {}

    static List<Snippet> snippets() throws IOException {
        Path root = Path.of("..").toAbsolutePath().normalize();
        List<Path> docs = new ArrayList<>(List.of(root.resolve("README.md")));
        try (Stream<Path> s = Files.list(root.resolve("docs"))) {
            s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(docs::add);
        }
        List<Snippet> out = new ArrayList<>();
        for (Path doc : docs) {
            List<String> lines = Files.readAllLines(doc);
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).strip().equals("```java")) {
                    StringBuilder code = new StringBuilder();
                    int start = i + 1;
                    for (i = i + 1; i < lines.size() && !lines.get(i).strip().equals("```"); i++) {
                        code.append(lines.get(i)).append('\n');
                    }
                    out.add(new Snippet(doc, start, code.toString()));
                }
            }
        }
        return out;
    }

    static String asClass(Snippet s, String name) {
        StringBuilder imports = new StringBuilder();
        StringBuilder body = new StringBuilder();
        for (String l : s.code().split("\n")) {
            (l.startsWith("import ") ? imports : body).append(l).append('\n');
        }
        if (body.toString().matches("(?sm).*^(public )?(final )?class .*")) {
            return imports + "\n" + body;
        }
        return imports + "\npublic class " + name + " {\n    static void snippet() throws Exception {\n" + body + "    }\n}\n";
    }

    @Test
    void everySnippetOfTheDocsCompiles() throws Exception {
        List<Snippet> all = snippets();
        assertThat(all).as("java snippets in the docs").hasSizeGreaterThanOrEqualTo(6);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        List<Path> sources = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            // a snippet that declares a public class keeps its name (its file must be named after it)
            java.util.regex.Matcher declared = java.util.regex.Pattern.compile("(?m)^public (final )?class (\\w+)")
                    .matcher(all.get(i).code());
            String name = declared.find() ? declared.group(2) : "Snippet" + i;
            Path src = Files.createDirectories(tmp.resolve("snippet" + i)).resolve(name + ".java");
            Files.writeString(src, asClass(all.get(i), name));
            sources.add(src);
        }
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager fm = javac.getStandardFileManager(diagnostics, null, null)) {
            Path classes = Files.createDirectories(tmp.resolve("classes"));
            boolean ok = javac.getTask(null, fm, diagnostics, List.of("-classpath", System.getProperty("java.class.path"),
                    "-d", classes.toString(), "-proc:none"), null, fm.getJavaFileObjectsFromPaths(sources)).call();
            StringBuilder report = new StringBuilder();
            diagnostics.getDiagnostics().forEach(d -> {
                String file = d.getSource() == null ? "" : d.getSource().getName();
                int index = file.isEmpty() ? -1 : Integer.parseInt(file.replaceAll(".*snippet(\\d+)[/\\\\][^/\\\\]+\\.java$", "$1"));
                Snippet s = index >= 0 ? all.get(index) : null;
                report.append(s == null ? "" : s.file().getFileName() + " (snippet at line " + s.line() + "): ")
                        .append(d.getMessage(null)).append('\n');
            });
            assertThat(ok).as("snippets that do not compile:\n%s", report).isTrue();
        }
    }
}
