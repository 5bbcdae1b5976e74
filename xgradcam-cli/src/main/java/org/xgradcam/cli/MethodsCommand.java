package org.xgradcam.cli;

import java.util.concurrent.Callable;
import org.xgradcam.cam.CamMethod;
import org.xgradcam.cam.Methods;
import picocli.CommandLine.Command;

/** Lists the CAM methods. */
@Command(name = "methods", description = "List the CAM methods (use the id with --method).")
public class MethodsCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.out.printf("%-20s %-26s %s%n", "id", "name", "needs");
        for (String id : Methods.ids()) {
            CamMethod m = Methods.byName(id);
            String needs = m.cost();
            System.out.printf("%-20s %-26s %s%n", id, m.name(), needs);
        }
        return 0;
    }
}
