// wayportd's running parts, built from a checked configuration after EAL
// start-up: the mbuf pool, the ports, the workers on their lcores, the
// control thread's state and the local API. run() is the control loop on
// the main lcore.
#pragma once

#include <rte_mempool.h>
#include <rte_ring.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "controlplane/api/bridge.h"
#include "controlplane/api/server.h"
#include "controlplane/control/control.h"
#include "controlplane/relay/random.h"
#include "controlplane/relay/server.h"
#include "controlplane/tunnel/engine.h"
#include "controlplane/tunnel/tables.h"
#include "dataplane/tables/neighbour_slots.h"
#include "dataplane/tables/rcu.h"
#include "dataplane/tables/relay_table.h"
#include "dataplane/worker/worker.h"
#include "drivers/port.h"

namespace wayport {

class Appliance {
public:
	// Nothing, with error set to a message for the operator, when any
	// part cannot be brought up; what was built is torn down again.
	static std::unique_ptr<Appliance> create(const config::Config &cfg, std::string &error);
	~Appliance();

	// Polls until stop is set, then stops the workers.
	void run(const std::atomic<bool> &stop);

	// Status with every counter, as JSON (what `wayportctl status --json`
	// shows), for the operator at exit.
	std::string final_report() const { return control_->status_json(); }

private:
	Appliance() = default;
	bool build(const config::Config &cfg, std::string &error);
	bool open_ports(const config::Config &cfg, std::string &error);
	bool start_workers(const config::Config &cfg, std::string &error);
	// WireGuard's tables, before the workers start; its engine after the
	// control thread exists.
	bool build_tunnel_tables(const config::Config &cfg, const std::vector<Port> &ports, std::string &error);
	bool start_tunnel(const config::Config &cfg, std::string &error);
	void stop_workers();

	struct WorkerSlot {
		std::unique_ptr<Worker> worker;
		rte_ring *punt = nullptr;
		rte_ring *inject = nullptr;
		unsigned lcore = 0;
		Appliance *owner = nullptr;
	};
	static int worker_main(void *arg);

	rte_mempool *pool_ = nullptr;
	std::vector<PortInfo> ports_;
	std::unique_ptr<Qsbr> qsbr_;
	std::unique_ptr<RelayTable> table_;
	std::unique_ptr<NeighbourSlots> neighbours_;
	std::unique_ptr<tunnel::Tables> tunnel_tables_;  // null: WireGuard off
	DataplaneShared shared_;
	std::vector<WorkerSlot> workers_;
	std::atomic<bool> workers_stop_{false};
	bool workers_running_ = false;

	relay::SystemRandom random_;
	std::unique_ptr<relay::Server> relay_;
	api::Bridge bridge_;
	std::unique_ptr<api::ApiServer> api_;
	std::unique_ptr<Control> control_;
	std::unique_ptr<tunnel::Engine> tunnel_;
};

} // namespace wayport
