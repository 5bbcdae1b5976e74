package org.xgradcam.serve;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.xgradcam.models.ModelSpec;

/**
 * The page in a real headless Chromium (Debian's chromium and chromium-driver), used as a person
 * would: pick an example, wait for the maps, move the opacity slider (the picture changes without
 * a request), pick another class, read a value under the pointer. Skipped when no browser is found.
 */
class ViewerPageTest {
    static ViewerServer server;
    static ChromeDriver browser;

    @BeforeAll
    static void start() {
        Path chromium = List.of(Path.of("/usr/bin/chromium"), Path.of("/usr/bin/chromium-browser")).stream()
                .filter(Files::isExecutable).findFirst().orElse(null);
        Path driver = Path.of("/usr/bin/chromedriver");
        Assumptions.assumeTrue(chromium != null && Files.isExecutable(driver),
                "no headless Chromium here (apt-get install chromium chromium-driver): skipping the browser test");
        Map<String, ModelSpec> models = new java.util.LinkedHashMap<>();
        models.put("shapes", ModelSpec.demo());
        models.put("shapes-detector", ModelSpec.demoDetector());
        try {
            models.put("segmenter", ModelSpec.ofFile(org.xgradcam.testing.KindsOfModels.segmenter(
                    Files.createTempDirectory("xgradcam-page"))));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        models.put("text", ModelSpec.ofFile(Path.of("..", "xgradcam-core", "src", "test", "resources", "sequence", "model.onnx")));
        models.put(HOSTILE_ID, hostile());
        server = ViewerServer.start(models, ViewerServer.Limits.defaults().withPort(0));
        ChromeOptions o = new ChromeOptions().setBinary(chromium.toString())
                .addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1300,900");
        browser = new ChromeDriver(new ChromeDriverService.Builder().usingDriverExecutable(driver.toFile()).build(), o);
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (server != null) {
            server.close();
        }
    }

    /** Script a page must never run: it marks the window if it does. */
    static final String PAYLOAD = "<img src=x onerror=\"window.pwned=(window.pwned||0)+1\">";
    static final String HOSTILE_ID = "<svg onload=\"window.pwned=1\">";

    /**
     * The demo model as an attacker would ship it: every class name and the default layer's
     * tensor name hold HTML with script in it, and the model's id (a file name) too.
     */
    static ModelSpec hostile() {
        ModelSpec demo = ModelSpec.demo();
        var proto = demo.model().proto();
        org.xgradcam.onnx.Graph graph = new org.xgradcam.onnx.Graph(demo.model());
        org.xgradcam.onnx.ModelShapes shapes = org.xgradcam.onnx.ModelShapes.of(graph, null);
        String layer = org.xgradcam.onnx.LayerCatalog.of(graph, shapes).requireDefault().tensor();
        String renamed = PAYLOAD + " " + layer;
        var g = proto.getGraph().toBuilder();
        for (int i = 0; i < g.getNodeCount(); i++) {
            var n = g.getNode(i).toBuilder();
            for (int k = 0; k < n.getInputCount(); k++) {
                if (n.getInput(k).equals(layer)) {
                    n.setInput(k, renamed);
                }
            }
            for (int k = 0; k < n.getOutputCount(); k++) {
                if (n.getOutput(k).equals(layer)) {
                    n.setOutput(k, renamed);
                }
            }
            g.setNode(i, n);
        }
        java.util.List<String> names = new java.util.ArrayList<>();
        for (String l : demo.labels().lines()) {
            names.add(PAYLOAD + l);
        }
        var hostile = proto.toBuilder().setGraph(g).addMetadataProps(org.xgradcam.onnx.proto.OnnxProto.StringStringEntryProto
                .newBuilder().setKey("names").setValue(String.join("\n", names))).build();
        org.xgradcam.onnx.OnnxModel m = org.xgradcam.onnx.OnnxModel.fromBytes(hostile.toByteArray(), "a hostile model");
        return new ModelSpec("hostile", m, demo.preprocessing(), org.xgradcam.models.Labels.fromMetadata(m.proto()).orElseThrow());
    }

    /** Screenshots land in target/ to be looked at. */
    private static Path shot(String name) throws java.io.IOException {
        return Files.createDirectories(Path.of("target", "screenshots")).resolve(name + ".png");
    }

    @Test
    void explainAnExampleMoveTheSliderPickAClass() throws Exception {
        browser.get("http://127.0.0.1:" + server.port() + "/");
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
        wait.withMessage(() -> "page status: " + browser.findElement(By.id("status")).getText());
        wait.until(d -> d.findElements(By.cssSelector("#examples img")).size() == 4
                && d.findElements(By.cssSelector("#layer option")).size() > 1);
        browser.findElements(By.cssSelector("#examples img")).stream()
                .filter(i -> i.getAttribute("title").contains("star") && i.getAttribute("title").contains("circle")).findFirst()
                .orElseThrow().click();
        wait.until(d -> d.findElements(By.cssSelector("#grid canvas")).size() == 2);
        wait.until(d -> d.findElement(By.id("status")).getText().contains("star"));
        assertThat(browser.findElement(By.cssSelector("#found li.chosen")).getText()).startsWith("star");
        Files.write(shot("explained"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));

        // the slider redraws in the page: no new request, other pixels
        JavascriptExecutor js = browser;
        String before = (String) js.executeScript("return document.querySelector('#grid canvas').toDataURL()");
        long requests = (Long) js.executeScript("return performance.getEntriesByType('resource').length");
        js.executeScript("const s = document.getElementById('opacity'); s.value = 95; s.dispatchEvent(new Event('input'));");
        String after = (String) js.executeScript("return document.querySelector('#grid canvas').toDataURL()");
        assertThat(after).isNotEqualTo(before);
        assertThat((Long) js.executeScript("return performance.getEntriesByType('resource').length")).isEqualTo(requests);

        // another colour map, also redrawn in the page
        js.executeScript("const c = document.getElementById('colormap'); c.value = 'viridis'; c.dispatchEvent(new Event('change'));");
        assertThat((String) js.executeScript("return document.querySelector('#grid canvas').toDataURL()")).isNotEqualTo(after);

        // hovering reads the map's value
        WebElement canvas = browser.findElement(By.cssSelector("#grid canvas"));
        new Actions(browser).moveToElement(canvas, 10, 10).perform();
        wait.until(d -> d.findElement(By.cssSelector(".cell .value")).getText().matches("\\(\\d+, \\d+\\): [0-9.]+"));

        // another class: the circle, explained on click
        browser.findElements(By.cssSelector("#found li")).stream().filter(li -> li.getText().startsWith("circle")).findFirst()
                .orElseThrow().click();
        wait.until(d -> d.findElement(By.id("status")).getText().startsWith("circle"));
        assertThat(browser.findElement(By.cssSelector("#found li.chosen")).getText()).startsWith("circle");
        assertThat(browser.findElement(By.id("downloads")).getText()).contains("xgradcam.png").contains("summary.json")
                .contains("xgradcam_cam.npy");
        // the input beside the maps, and a favicon
        assertThat(browser.findElement(By.cssSelector("#grid .cell.input img")).getAttribute("src")).startsWith("data:image/png");
        assertThat((String) js.executeScript("return document.querySelector('link[rel=icon]').href")).endsWith("/favicon.svg");
        assertThat((Long) js.executeScript("const r = new XMLHttpRequest(); r.open('GET', '/favicon.svg', false); r.send();"
                + " return r.status === 200 && r.getResponseHeader('Content-Type').startsWith('image/svg') ? 1 : 0")).isEqualTo(1L);

        // shift-click: the star beside the circle, two classes side by side
        WebElement star = browser.findElements(By.cssSelector("#found li")).stream().filter(li -> li.getText().startsWith("star"))
                .findFirst().orElseThrow();
        new Actions(browser).keyDown(org.openqa.selenium.Keys.SHIFT).click(star).keyUp(org.openqa.selenium.Keys.SHIFT).perform();
        wait.until(d -> d.findElements(By.cssSelector("#grid canvas")).size() == 4);
        wait.until(d -> d.findElement(By.id("status")).getText().matches("circle .* and star .*"));
        assertThat(browser.findElements(By.cssSelector("#grid .cell .about"))).extracting(WebElement::getText)
                .contains("circle", "star");
        Files.write(shot("two-classes"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
        browser.findElements(By.cssSelector("#found li")).stream().filter(li -> li.getText().startsWith("circle")).findFirst()
                .orElseThrow().click();
        wait.until(d -> d.findElements(By.cssSelector("#grid canvas")).size() == 2);

        // faithfulness curves (plots with axes) and the Eq. (5) check, on request
        browser.findElement(By.id("metrics")).click();
        wait.until(d -> d.findElements(By.cssSelector("#curves svg")).size() == 2);
        assertThat(browser.findElement(By.cssSelector("#curves svg")).getText()).contains("fraction of pixels").contains("AUC");
        wait.until(d -> d.findElement(By.id("eq5")).getText().contains("residual"));
        Files.write(shot("circle"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    }

    @Test
    void htmlInLabelsLayersAndModelIdsIsShownAsTextAndNeverRun() throws Exception {
        browser.get("http://127.0.0.1:" + server.port() + "/");
        JavascriptExecutor js = browser;
        js.executeScript("window.violations = 0; document.addEventListener('securitypolicyviolation', () => window.violations++);");
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
        wait.withMessage(() -> "page status: " + browser.findElement(By.id("status")).getText());
        wait.ignoring(org.openqa.selenium.StaleElementReferenceException.class); // lists are rebuilt as answers come
        wait.until(d -> d.findElements(By.cssSelector("#model option")).size() == 5
                && d.findElements(By.cssSelector("#examples img")).size() == 4);
        // the hostile model, chosen by its hostile id
        js.executeScript("const m = document.getElementById('model'); m.value = arguments[0]; m.dispatchEvent(new Event('change'));",
                HOSTILE_ID);
        wait.until(d -> d.findElements(By.cssSelector("#layer option")).stream().anyMatch(o -> o.getText().contains("<img")));
        browser.findElements(By.cssSelector("#examples img")).get(0).click();
        wait.until(d -> d.findElements(By.cssSelector("#found li")).size() == 5
                && d.findElements(By.cssSelector("#grid canvas")).size() == 2);
        Files.write(shot("hostile"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
        // shown as text: the markup itself is visible, and no element was made from it
        assertThat(browser.findElement(By.cssSelector("#found li")).getText()).startsWith(PAYLOAD);
        assertThat(browser.findElement(By.cssSelector("#model")).getText()).contains(HOSTILE_ID);
        assertThat(browser.findElement(By.id("status")).getText()).contains("<img");
        assertThat(browser.findElements(By.cssSelector("#found img, #layer img, #status img, #model svg, #grid img:not(.input > img)"))).isEmpty();
        // and never run, nor even stopped by the policy: it never reached the page as HTML
        Thread.sleep(300);
        assertThat(js.executeScript("return window.pwned === undefined")).isEqualTo(true);
        assertThat(js.executeScript("return window.violations")).isEqualTo(0L);
    }

    /** Chooses a model in the page's menu, as a person would. */
    private static void chooseModel(String id) {
        ((JavascriptExecutor) browser).executeScript(
                "const m = document.getElementById('model'); m.value = arguments[0]; m.dispatchEvent(new Event('change'));", id);
    }

    @Test
    void aDetectorsBoxesAreListedAndEachOrAllExplained() throws Exception {
        browser.get("http://127.0.0.1:" + server.port() + "/");
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
        wait.withMessage(() -> "page status: " + browser.findElement(By.id("status")).getText());
        wait.ignoring(org.openqa.selenium.StaleElementReferenceException.class);
        wait.until(d -> d.findElements(By.cssSelector("#model option")).size() == 5
                && d.findElements(By.cssSelector("#examples img")).size() == 4);
        chooseModel("shapes-detector");
        wait.until(d -> d.findElement(By.id("class-search")).getAttribute("hidden") != null);
        browser.findElements(By.cssSelector("#examples img")).stream()
                .filter(i -> i.getAttribute("title").contains("star") && i.getAttribute("title").contains("circle")).findFirst()
                .orElseThrow().click();
        // the detections, with their classes and scores; the best one explained; all boxes drawn
        wait.until(d -> d.findElement(By.id("status")).getText().startsWith("detection 0"));
        List<WebElement> found = browser.findElements(By.cssSelector("#found li"));
        assertThat(found.stream().map(WebElement::getText).toList()).anyMatch(t -> t.matches("0: (star|circle) 0\\.\\d\\d"))
                .anyMatch(t -> t.startsWith("all "));
        assertThat(browser.findElement(By.cssSelector("#found li.chosen")).getText()).startsWith("0:");
        assertThat(browser.findElement(By.id("overview")).getAttribute("hidden")).isNull();
        assertThat(browser.findElements(By.cssSelector("#grid canvas"))).hasSize(2);
        // another detection, then all of them
        browser.findElements(By.cssSelector("#found li")).stream().filter(li -> li.getText().startsWith("1:")).findFirst()
                .orElseThrow().click();
        wait.until(d -> d.findElement(By.id("status")).getText().startsWith("detection 1"));
        browser.findElements(By.cssSelector("#found li")).stream().filter(li -> li.getText().startsWith("all")).findFirst()
                .orElseThrow().click();
        wait.until(d -> d.findElements(By.cssSelector("#grid canvas")).size() == 2 * (found.size() - 1));
        assertThat(browser.findElement(By.cssSelector("#found li.chosen")).getText()).startsWith("all");
        Files.write(shot("detector"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    }

    /**
     * A text recogniser: the symbols it read are listed with their steps, the whole text is
     * explained first, and a click on a symbol explains its step.
     */
    @Test
    void aTextsSymbolsAreListedAndEachStepExplained() throws Exception {
        browser.get("http://127.0.0.1:" + server.port() + "/");
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
        wait.withMessage(() -> "page status: " + browser.findElement(By.id("status")).getText());
        wait.ignoring(org.openqa.selenium.StaleElementReferenceException.class);
        wait.until(d -> d.findElements(By.cssSelector("#model option")).size() == 5);
        chooseModel("text");
        wait.until(d -> d.findElements(By.cssSelector("#layer option")).size() > 1
                && d.findElement(By.cssSelector("#layer")).getText().contains("conv"));
        Path line = Path.of("..", "xgradcam-core", "src", "test", "resources", "sequence", "hello-2026.png").toAbsolutePath().normalize();
        browser.findElement(By.id("file")).sendKeys(line.toString());
        wait.until(d -> d.findElements(By.cssSelector("#found li")).stream().anyMatch(li -> li.getText().startsWith("the whole text")));
        assertThat(browser.findElement(By.cssSelector("#found li.chosen")).getText()).startsWith("the whole text");
        List<WebElement> symbols = browser.findElements(By.cssSelector("#found li")).stream()
                .filter(li -> li.getText().matches("\\d+: .*")).toList();
        assertThat(symbols).isNotEmpty();
        String first = symbols.get(0).getText();
        String stepNumber = first.substring(0, first.indexOf(':'));
        symbols.get(0).click();
        wait.until(d -> d.findElement(By.cssSelector("#found li.chosen")).getText().startsWith(stepNumber + ":"));
        assertThat(browser.findElements(By.cssSelector("#grid canvas"))).hasSize(2);
        Files.write(shot("text"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    }

    @Test
    void aSegmentersClassesAreListedWithTheirPixelsAndChosenByName() throws Exception {
        browser.get("http://127.0.0.1:" + server.port() + "/");
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
        wait.withMessage(() -> "page status: " + browser.findElement(By.id("status")).getText());
        wait.ignoring(org.openqa.selenium.StaleElementReferenceException.class);
        wait.until(d -> d.findElements(By.cssSelector("#model option")).size() == 5
                && d.findElements(By.cssSelector("#examples img")).size() == 4);
        chooseModel("segmenter");
        wait.until(d -> d.findElements(By.cssSelector("#layer option")).size() > 0);
        browser.findElements(By.cssSelector("#examples img")).get(0).click();
        wait.until(d -> d.findElements(By.cssSelector("#found li")).size() == 3
                && d.findElement(By.cssSelector("#found li")).getText().contains("% of pixels"));
        String first = browser.findElement(By.cssSelector("#found li.chosen")).getText();
        // another class, typed into the search box by its index
        String other = browser.findElements(By.cssSelector("#found li")).stream().map(WebElement::getText)
                .filter(t -> !t.equals(first)).findFirst().orElseThrow();
        String index = other.substring("class ".length(), other.indexOf(':'));
        browser.findElement(By.id("class")).sendKeys(index + org.openqa.selenium.Keys.ENTER);
        wait.until(d -> d.findElement(By.id("status")).getText().startsWith("class " + index));
        assertThat(browser.findElement(By.cssSelector("#found li.chosen")).getText()).isEqualTo(other);
        Files.write(shot("segmenter"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    }
}
