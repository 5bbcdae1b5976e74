package org.xgradcam.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.tools.ToolProvider;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * docs/library.md's quick start as a user copies it: the pom pins its plugins and names this
 * build's version, and Main compiles against the library and runs on the demo model, writing
 * X_cam.jpg where it is started.
 */
class QuickStartTest {
    @TempDir
    Path tmp;

    static final Path DOC = Path.of("..", "docs", "library.md");

    /** The fenced blocks of a language, in order. */
    static List<String> blocks(String language) throws Exception {
        List<String> out = new ArrayList<>();
        List<String> lines = Files.readAllLines(DOC);
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).strip().equals("```" + language)) {
                StringBuilder b = new StringBuilder();
                for (i = i + 1; i < lines.size() && !lines.get(i).strip().equals("```"); i++) {
                    b.append(lines.get(i)).append('\n');
                }
                out.add(b.toString());
            }
        }
        return out;
    }

    static Element plugin(Document pom, String artifact) {
        NodeList plugins = pom.getElementsByTagName("plugin");
        for (int i = 0; i < plugins.getLength(); i++) {
            Element p = (Element) plugins.item(i);
            if (text(p, "artifactId").equals(artifact)) {
                return p;
            }
        }
        throw new AssertionError("the quick start's pom has no " + artifact);
    }

    static String text(Element e, String tag) {
        NodeList n = e.getElementsByTagName(tag);
        return n.getLength() == 0 ? "" : n.item(0).getTextContent().strip();
    }

    @Test
    void thePomPinsItsPluginsAndNamesThisBuildsVersion() throws Exception {
        String xml = blocks("xml").stream().filter(b -> b.contains("<project")).findFirst().orElseThrow();
        Document pom = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
        Element compiler = plugin(pom, "maven-compiler-plugin");
        assertThat(text(compiler, "version")).isNotEmpty();
        assertThat(text(compiler, "release")).isEqualTo("17");
        Element exec = plugin(pom, "exec-maven-plugin");
        assertThat(text(exec, "version")).isNotEmpty();
        assertThat(text(exec, "mainClass")).isEqualTo("Main");
        Document ours = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(Path.of("..", "pom.xml").toFile());
        String version = text(ours.getDocumentElement(), "version");
        NodeList deps = pom.getElementsByTagName("dependency");
        Element core = (Element) deps.item(0);
        assertThat(text(core, "artifactId")).isEqualTo("xgradcam-core");
        assertThat(text(core, "version")).isEqualTo(version);
        assertThat(Files.readString(DOC)).contains("mvn -q compile exec:java -Dexec.args=\"star-and-circle.png\"");
    }

    @Test
    void mainCompilesAndExplainsTheDemoWhereItIsStarted() throws Exception {
        String main = blocks("java").stream().filter(b -> b.contains("public class Main")).findFirst().orElseThrow();
        Path src = Files.createDirectories(tmp.resolve("src")).resolve("Main.java");
        Files.writeString(src, main);
        Path classes = Files.createDirectories(tmp.resolve("classes"));
        String cp = System.getProperty("java.class.path");
        int rc = ToolProvider.getSystemJavaCompiler().run(null, null, null, "--release", "17", "-classpath", cp, "-d",
                classes.toString(), src.toString());
        assertThat(rc).isZero();
        Path work = Files.createDirectories(tmp.resolve("work"));
        Path image = Path.of("..", "examples", "star-and-circle.png").toAbsolutePath();
        String javaBin = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(javaBin, "-cp", classes + java.io.File.pathSeparator + cp, "Main", image.toString())
                .directory(work.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("class of interest: star; wrote X_cam.jpg");
        assertThat(work.resolve("X_cam.jpg")).isNotEmptyFile();
    }
}
