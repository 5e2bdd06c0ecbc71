# Package hw/rtl as the Vitis RTL kernel esp_kernel.xo (Vivado batch mode):
#   vivado -mode batch -source package_xo.tcl -tclargs <out.xo> <part>
# Not run here (no Vivado); see README.md.
set xo   [lindex $argv 0]
set part [lindex $argv 1]
set here [file dirname [file normalize [info script]]]
set rtl  [file normalize $here/../rtl]

create_project -force esp_kernel_pkg ./esp_kernel_pkg -part $part
add_files [glob $rtl/*.sv] [glob $rtl/*.svh]
set_property file_type {Verilog Header} [get_files *.svh]
set_property include_dirs $rtl [current_fileset]
set_property top esp_kernel [current_fileset]
update_compile_order -fileset sources_1

ipx::package_project -root_dir ./esp_kernel_ip -vendor ipsecfx.org -library RTLKernel \
    -taxonomy /KernelIP -import_files -set_current true
set core [ipx::current_core]
foreach busif {m_axi_gmem m_axi_ctl s_axi_control} {
    ipx::associate_bus_interfaces -busif $busif -clock ap_clk $core
}
# the pointer arguments (kernel.xml): mem at 0x10, ctl at 0x18 (ignored by the RTL)
set mm [ipx::get_address_blocks reg0 -of_objects [ipx::get_memory_maps s_axi_control -of_objects $core]]
foreach {name off busif} {mem 0x10 m_axi_gmem ctl 0x18 m_axi_ctl} {
    set r [ipx::add_register $name $mm]
    set_property address_offset $off $r
    set_property size 64 $r
    ipx::add_register_parameter ASSOCIATED_BUSIF $r
    set_property value $busif [ipx::get_register_parameters ASSOCIATED_BUSIF -of_objects $r]
}
set_property sdx_kernel true $core
set_property sdx_kernel_type rtl $core
set_property ipi_drc {ignore_freq_hz true} $core
ipx::update_checksums $core
ipx::check_integrity -kernel $core
ipx::save_core $core
close_project -delete

package_xo -force -xo_path $xo -kernel_name esp_kernel -ip_directory ./esp_kernel_ip \
    -kernel_xml $here/kernel.xml -ctrl_protocol ap_ctrl_hs
