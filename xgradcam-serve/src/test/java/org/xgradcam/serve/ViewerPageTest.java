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
        server = ViewerServer.start(Map.of("shapes", ModelSpec.demo()), ViewerServer.Limits.defaults().withPort(0));
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
        assertThat(browser.findElement(By.cssSelector("#top5 li.chosen")).getText()).startsWith("star");
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
        browser.findElements(By.cssSelector("#top5 li")).stream().filter(li -> li.getText().startsWith("circle")).findFirst()
                .orElseThrow().click();
        wait.until(d -> d.findElement(By.id("status")).getText().startsWith("circle"));
        assertThat(browser.findElement(By.cssSelector("#top5 li.chosen")).getText()).startsWith("circle");
        assertThat(browser.findElement(By.id("downloads")).getText()).contains("xgradcam.png").contains("summary.json")
                .contains("xgradcam_cam.npy");

        // faithfulness curves (plots with axes) and the Eq. (5) check, on request
        browser.findElement(By.id("metrics")).click();
        wait.until(d -> d.findElements(By.cssSelector("#curves svg")).size() == 2);
        assertThat(browser.findElement(By.cssSelector("#curves svg")).getText()).contains("fraction of pixels").contains("AUC");
        wait.until(d -> d.findElement(By.id("eq5")).getText().contains("residual"));
        Files.write(shot("circle"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    }
}
