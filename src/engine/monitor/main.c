/* berth-monitor: the monitor of a detached container (monitor.h). */
#include "engine/monitor/monitor.h"

int main(int argc, char **argv)
{
        return monitor_main(argc, argv);
}
