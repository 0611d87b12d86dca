/* berth-monitor: the monitor of a detached container (monitor.h). */
#include "monitor.h"

int main(int argc, char **argv)
{
        return monitor_main(argc, argv);
}
