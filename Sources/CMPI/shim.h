// The MPI C API as Swift sees it. Open MPI and MPICH define MPI_COMM_WORLD, MPI_BYTE, MPI_IN_PLACE ... as macros
// that Swift cannot import (casts of addresses of globals); these inline functions return them.
#ifndef SPIKEKIT_CMPI_SHIM_H
#define SPIKEKIT_CMPI_SHIM_H
#include <mpi.h>

static inline MPI_Comm spikekit_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype spikekit_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype spikekit_mpi_int(void) { return MPI_INT; }
static inline MPI_Op spikekit_mpi_min(void) { return MPI_MIN; }
static inline void *spikekit_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline int spikekit_mpi_success(void) { return MPI_SUCCESS; }
static inline int spikekit_mpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
static inline MPI_Errhandler spikekit_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }

#endif
