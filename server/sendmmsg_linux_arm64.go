package server

import "syscall"

const sysSendmmsg = syscall.SYS_SENDMMSG
