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
        // columns as wide as their longest entry: the table stays aligned whatever the names
        int idWidth = "id".length();
        int nameWidth = "name".length();
        for (String id : Methods.ids()) {
            idWidth = Math.max(idWidth, id.length());
            nameWidth = Math.max(nameWidth, Methods.byName(id).name().length());
        }
        String row = "%-" + idWidth + "s  %-" + nameWidth + "s  %s%n";
        System.out.printf(row, "id", "name", "needs");
        for (String id : Methods.ids()) {
            CamMethod m = Methods.byName(id);
            System.out.printf(row, id, m.name(), m.cost());
        }
        return 0;
    }
}
