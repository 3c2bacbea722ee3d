package server

// sysSendmmsg is sendmmsg(2)'s number (package syscall lacks it on amd64).
const sysSendmmsg = 307
